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
