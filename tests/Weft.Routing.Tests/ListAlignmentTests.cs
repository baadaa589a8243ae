namespace Weft.Routing.Tests;

public class ListAlignmentTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Paired_positions_hold_the_same_instances_in_order_and_every_position_is_paired_or_left_over(int seed)
    {
        var random = new Random(seed);
        var before = Enumerable.Range(0, 200).Select(n => new object()).ToList();
        for (var round = 0; round < 200; round++)
        {
            var after = before.ToList();
            for (var c = random.Next(1, 6); c > 0; c--)
            {
                switch (random.Next(4))
                {
                    case 0:
                        after.Insert(random.Next(after.Count + 1), new object());
                        break;
                    case 1 when after.Count > 1:
                        after.RemoveAt(random.Next(after.Count));
                        break;
                    case 2:
                        after[random.Next(after.Count)] = new object();
                        break;
                    default:
                        var at = random.Next(after.Count);
                        (after[at], after[^1]) = (after[^1], after[at]);
                        break;
                }
            }

            var (gone, added) = (new List<int>(), new List<int>());
            Assert.True(ListAlignment.TryAlign(before, after, int.MaxValue, gone, added));

            Assert.Equal(gone.Order(), gone);
            Assert.Equal(added.Order(), added);
            var keptBefore = Enumerable.Range(0, before.Count).Except(gone).Select(k => before[k]).ToList();
            var keptAfter = Enumerable.Range(0, after.Count).Except(added).Select(k => after[k]).ToList();
            Assert.Equal(keptBefore, keptAfter, ReferenceEqualityComparer.Instance);
            Assert.True(gone.Count + added.Count <= 40, $"round {round}: {gone.Count + added.Count} left over for at most 5 edits");
            before = after;
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(57, 1)]
    [InlineData(100, 1)]
    [InlineData(40, 8)]
    public void Objects_put_in_side_by_side_are_the_only_ones_left_over(int at, int count)
    {
        var before = Enumerable.Range(0, 100).Select(n => new object()).ToList();
        var after = before.ToList();
        after.InsertRange(at, Enumerable.Range(0, count).Select(n => new object()));
        var (gone, added) = (new List<int>(), new List<int>());

        Assert.True(ListAlignment.TryAlign(before, after, 64, gone, added));

        Assert.Empty(gone);
        Assert.Equal(Enumerable.Range(at, count), added);
        Assert.True(ListAlignment.TryAlign(after, before, 64, added = [], gone = []));
        Assert.Equal(Enumerable.Range(at, count), added);
    }

    [Fact]
    public void More_left_over_than_the_limit_is_refused()
    {
        var before = Enumerable.Range(0, 100).Select(n => new object()).ToList();
        var after = Enumerable.Range(0, 100).Select(n => new object()).ToList();

        Assert.False(ListAlignment.TryAlign(before, after, 64, [], []));
    }
}
