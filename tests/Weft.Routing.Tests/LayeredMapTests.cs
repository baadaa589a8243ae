using Weft.Routing.Internal;

namespace Weft.Routing.Tests;

/// <summary>
/// LayeredMap: after any chain of keys set and removed, each map of the chain reads as a dictionary given the same
/// changes would (value by key and by the key's characters, count, values), through the layer over a shared base and
/// after the layer is folded into a new base; the maps before it read as they did.
/// </summary>
public class LayeredMapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(18_2025)]
    public void Every_map_of_a_chain_of_changes_reads_as_a_dictionary_given_the_same_changes(int seed)
    {
        var random = new Random(seed);
        var keys = Enumerable.Range(0, 300).Select(k => $"ns/svc-{k}").ToArray();
        var expected = keys.Take(200).ToDictionary(k => k, k => $"{k}@0", StringComparer.Ordinal);
        var map = new LayeredMap<string, string>(new Dictionary<string, string>(expected, StringComparer.Ordinal));
        var chain = new List<(LayeredMap<string, string> Map, Dictionary<string, string> Expected)> { (map, new(expected)) };
        var folded = false;
        for (var step = 1; step <= 400; step++)
        {
            var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var n = random.Next(0, 4); n > 0; n--)
            {
                var key = keys[random.Next(keys.Length)];
                changes[key] = random.Next(3) == 0 ? null : $"{key}@{step}";
            }

            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    expected.Remove(key);
                }
                else
                {
                    expected[key] = value;
                }
            }

            var layered = map.Layered;
            map = map.With(changes);
            folded |= map.Layered < layered;
            chain.Add((map, new(expected)));
            Check(map, expected, keys, step);
        }

        Assert.True(folded, "the layer was never folded into a new base");
        for (var step = 0; step < chain.Count; step += 37)
        {
            Check(chain[step].Map, chain[step].Expected, keys, step);
        }
    }

    [Fact]
    public void Keys_equal_by_the_maps_comparer_are_one_key_and_counted_once()
    {
        // Cluster IPs are compared ignoring case (IPv6): the layer is made with the base's comparer.
        var map = new LayeredMap<string, string>(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["fd00::a"] = "svc-a" });
        map = map.With(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["FD00::A"] = "svc-b", ["fd00::B"] = "svc-c" });
        Assert.Equal(2, map.Count);
        Assert.Equal("svc-b", map["fd00::a"]);
        Assert.Equal("svc-c", map.Find<ReadOnlySpan<char>>("FD00::b".AsSpan()));
        map = map.With(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Fd00::A"] = null });
        Assert.Equal(1, map.Count);
        Assert.Null(map["fd00::a"]);
    }

    [Fact]
    public void The_layer_is_folded_once_it_holds_more_than_the_square_root_of_twice_the_bases_keys()
    {
        // 20,000 keys: folded past 200 keys in the layer, not at the floor of 64.
        var map = new LayeredMap<string, string>(Enumerable.Range(0, 20_000).ToDictionary(k => $"k{k}", k => "0", StringComparer.Ordinal));
        for (var k = 0; k < 200; k++)
        {
            map = map.With(new Dictionary<string, string?> { [$"k{k}"] = "1" });
        }

        Assert.Equal(200, map.Layered);
        map = map.With(new Dictionary<string, string?> { ["k200"] = "1" });
        Assert.Equal(0, map.Layered);
        Assert.Equal(20_000, map.Count);
        Assert.Equal("1", map["k200"]);
    }

    [Fact]
    public void A_change_to_nothing_is_the_same_map()
    {
        var map = new LayeredMap<string, string>(new Dictionary<string, string> { ["a"] = "1" });
        Assert.Same(map, map.With(new Dictionary<string, string?>()));
    }

    private static void Check(LayeredMap<string, string> map, Dictionary<string, string> expected, string[] keys, int step)
    {
        Assert.True(expected.Count == map.Count, $"step {step}: {map.Count} keys with a value, expected {expected.Count}");
        Assert.Equal(expected.Values.Order(StringComparer.Ordinal), map.Values.Order(StringComparer.Ordinal));
        foreach (var key in keys)
        {
            var value = expected.GetValueOrDefault(key);
            Assert.True(value == map[key], $"step {step}: {key} is '{map[key]}', expected '{value}'");
            Assert.Equal(value, map.Find<ReadOnlySpan<char>>(key.AsSpan()));
        }
    }
}
