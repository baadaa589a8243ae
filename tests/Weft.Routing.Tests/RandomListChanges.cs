namespace Weft.Routing.Tests;

/// <summary>
/// Seeded changes to one of a snapshot's lists, as the store makes them: one to three at once, each an item deleted,
/// created anywhere, changed in place (a new instance), or moved elsewhere in the list; and what changed, by instance,
/// as MeshModel.Update finds it (an item changed to what it was is equal, not the same; an item moved is both gone and
/// added).
/// </summary>
internal static class RandomListChanges
{
    public static (List<T> Gone, List<T> Added) Step<T>(Random random, List<T> list, Func<T> create, Func<T, T> change)
        where T : class
    {
        var before = list.ToList();
        var moved = new HashSet<T>(ReferenceEqualityComparer.Instance);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(list.Count + 1);
            switch (random.Next(4))
            {
                case 0 when list.Count > 0:
                    list.RemoveAt(at % list.Count);
                    break;
                case 1:
                    list.Insert(at, create());
                    break;
                case 2 when list.Count > 0:
                    list[at % list.Count] = change(list[at % list.Count]);
                    break;
                default:
                    if (list.Count > 1)
                    {
                        var item = list[at % list.Count];
                        list.Remove(item);
                        list.Insert(random.Next(list.Count + 1), item);
                        moved.Add(item);
                    }

                    break;
            }
        }

        var (beforeSet, afterSet) = (before.ToHashSet(ReferenceEqualityComparer.Instance), list.ToHashSet(ReferenceEqualityComparer.Instance));
        return ([.. before.Where(x => !afterSet.Contains(x) || moved.Contains(x))], [.. list.Where(x => !beforeSet.Contains(x) || moved.Contains(x))]);
    }
}
