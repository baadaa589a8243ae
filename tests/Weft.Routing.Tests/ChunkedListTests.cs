namespace Weft.Routing.Tests;

/// <summary>
/// ChunkedList: a list made from another by swaps reads as an array given the same swaps would, item by item and in
/// order, across chunk boundaries; the list it was made from reads as before; same instances are told apart from equal
/// ones; a list built from ranges of an array, a list, a chunked list or any other reads as the items added.
/// </summary>
public class ChunkedListTests
{
    private sealed record Item(int Value);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(5000)]
    public void A_chain_of_swaps_reads_as_an_array_given_the_same_swaps(int count)
    {
        var random = new Random(count);
        var expected = Enumerable.Range(0, count).Select(i => new Item(i)).ToArray();
        var list = ChunkedList.Of(expected);
        Assert.Same(list, ChunkedList.Of(list));
        var chain = new List<(ChunkedList<Item> List, Item[] Expected)> { (list, [.. expected]) };
        for (var step = 0; step < 50 && count > 0; step++)
        {
            var swaps = Enumerable.Range(0, random.Next(1, 4)).Select(_ => (Index: random.Next(count), Item: new Item(-step))).ToList();
            foreach (var (index, item) in swaps)
            {
                expected[index] = item;
            }

            list = list.SetItems(swaps);
            chain.Add((list, [.. expected]));
        }

        foreach (var (made, items) in chain)
        {
            Assert.Equal(items.Length, made.Count);
            for (var i = 0; i < items.Length; i++)
            {
                Assert.Same(items[i], made[i]);
            }

            var enumerated = new List<Item>();
            foreach (var item in made)
            {
                enumerated.Add(item);
            }

            Assert.True(items.SequenceEqual(enumerated, ReferenceEqualityComparer.Instance), "the enumerator reads another order");
            Assert.True(items.SequenceEqual(made.AsEnumerable(), ReferenceEqualityComparer.Instance), "IEnumerable<T> reads another order");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => list[count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
    }

    [Fact]
    public void Same_instances_and_places_are_told_from_equal_items()
    {
        var items = Enumerable.Range(0, 3000).Select(i => new Item(i)).ToArray();
        var list = ChunkedList.Of(items);
        var equal = list.SetItems([(2500, new Item(2500))]);
        Assert.True(list.SameInstances(ChunkedList.Of(items)));
        Assert.False(list.SameInstances(equal));
        Assert.False(list.SameInstances(ChunkedList.Of(items[..^1])));
        Assert.Equal(2500, list.IndexOfInstance(items[2500]));
        Assert.Equal(-1, list.IndexOfInstance(new Item(2500)));
        Assert.Same(list, list.SetItems([]));

        // A chunk copied with the same instances put back: the same instances at the same places.
        Assert.True(list.SameInstances(list.SetItems([(2500, items[2500]), (10, items[10])])));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1000, 30)]
    [InlineData(1024, 1)]
    [InlineData(3000, 1500)]
    public void A_list_built_from_ranges_of_any_list_reads_as_the_items_added_in_order(int count, int cut)
    {
        var items = Enumerable.Range(0, count).Select(i => new Item(i)).ToArray();
        var one = new Item(-1);
        IReadOnlyList<Item>[] sources = [items, items.ToList(), ChunkedList.Of(items), items.AsReadOnly()];
        foreach (var source in sources)
        {
            // The items before the cut, one more, the items from the cut on: what an insert does.
            var builder = new ChunkedListBuilder<Item>();
            builder.AddRange(source, 0, cut);
            builder.Add(one);
            builder.AddRange(source, cut, count - cut);
            var built = builder.ToList();
            Item[] expected = [.. items[..cut], one, .. items[cut..]];
            Assert.True(expected.SequenceEqual(built.AsEnumerable(), ReferenceEqualityComparer.Instance), $"built from {source.GetType().Name}");
            Assert.Equal(expected.Length, built.Count);
            Assert.Same(expected[^1], built[built.Count - 1]);
            Assert.True(items.SequenceEqual(ChunkedList.Of(source).AsEnumerable(), ReferenceEqualityComparer.Instance), $"Of({source.GetType().Name})");
        }
    }

    [Fact]
    public void A_list_of_a_base_type_is_built_from_an_array_of_a_derived_one()
    {
        // An array is a list of any base type of its items (array covariance): a Service[] given as a list of objects.
        IReadOnlyList<object> names = Enumerable.Range(0, 2500).Select(i => $"n{i}").ToArray();
        var builder = new ChunkedListBuilder<object>();
        builder.AddRange(names, 10, 2000);
        Assert.Equal(names.Skip(10).Take(2000), builder.ToList());
        Assert.Equal(names, ChunkedList.Of(names));
    }

    [Fact]
    public void A_binary_search_finds_an_item_or_where_it_would_go()
    {
        var keys = ChunkedList.Of(Enumerable.Range(0, 3000).Select(i => $"k{i * 2:D6}").ToArray());
        Assert.Equal(1500, keys.BinarySearch("k003000", StringComparer.Ordinal));
        Assert.Equal(~1501, keys.BinarySearch("k003001", StringComparer.Ordinal));
        Assert.Equal(~0, keys.BinarySearch("a", StringComparer.Ordinal));
        Assert.Equal(~3000, keys.BinarySearch("z", StringComparer.Ordinal));
    }
}
