namespace Weft.Routing;

/// <summary>
/// Two versions of a list aligned by reference in one pass over the lists alone (no hashing, no object read), looking a
/// few places ahead where they differ. The store keeps every object at its place and puts a new one in at its place, so
/// this finds the few objects a change added, removed or swapped in a list of hundreds of thousands: the store
/// (<c>ObjectStore</c>) for the objects to admit and key, <see cref="MeshModel.Update"/> for those to read again.
/// </summary>
public static class ListAlignment
{
    /// <summary>How far ahead a difference looks for where the lists meet again (several pods created side by side).</summary>
    public const int LookAhead = 8;

    /// <summary>
    /// Pairs the objects of <paramref name="after"/> with the same instances in <paramref name="before"/>, in order:
    /// <paramref name="gone"/> gets the positions of <paramref name="before"/> left unpaired, <paramref name="added"/>
    /// those of <paramref name="after"/>, both ascending; the k-th paired position of one list holds the same instance as
    /// the k-th paired position of the other. An object moved far is unpaired on both sides. Any pairing is correct; this
    /// one leaves little over when the lists differ in a few places.
    /// </summary>
    /// <returns>False (the lists are partly gone through) when more than <paramref name="limit"/> positions are left unpaired.</returns>
    public static bool TryAlign<T>(IReadOnlyList<T> before, IReadOnlyList<T> after, int limit, List<int> gone, List<int> added)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(gone);
        ArgumentNullException.ThrowIfNull(added);
        var (i, j) = (0, 0);
        while (i < before.Count && j < after.Count)
        {
            if (ReferenceEquals(before[i], after[j]))
            {
                (i, j) = (i + 1, j + 1);
                continue;
            }

            // The nearer of: before[i] a few places on in after (objects inserted), after[j] a few on in before (removed).
            var (inserted, removed) = (0, 0);
            for (var k = 1; k <= LookAhead && inserted == 0 && removed == 0; k++)
            {
                if (j + k < after.Count && ReferenceEquals(before[i], after[j + k]))
                {
                    inserted = k;
                }
                else if (i + k < before.Count && ReferenceEquals(before[i + k], after[j]))
                {
                    removed = k;
                }
            }

            if (inserted == 0 && removed == 0)
            {
                (inserted, removed) = (1, 1); // one swapped for another
            }

            for (var k = 0; k < inserted; k++)
            {
                added.Add(j++);
            }

            for (var k = 0; k < removed; k++)
            {
                gone.Add(i++);
            }

            if (gone.Count + added.Count > limit)
            {
                return false;
            }
        }

        for (; i < before.Count; i++)
        {
            gone.Add(i);
        }

        for (; j < after.Count; j++)
        {
            added.Add(j);
        }

        return gone.Count + added.Count <= limit;
    }
}
