using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// A strict reader of the two text formats, checking the rules Prometheus and OpenMetrics parsers hold an exposition to:
/// every sample belongs to a family declared before it by <c># TYPE</c> (a counter's samples named <c>_total</c>, a
/// histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c>), no family declared twice, label names and escaped values well
/// formed, values numbers; in OpenMetrics a counter family named without <c>_total</c>, <c># UNIT</c> naming the suffix of
/// its family, and <c># EOF</c> last. Throws on the first rule broken.
/// </summary>
internal static partial class ExpositionParser
{
    public sealed record Sample(string Family, string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Exposition(IReadOnlyDictionary<string, string> Types, IReadOnlyList<Sample> Samples);

    public static Exposition Parse(string text, bool openMetrics)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        var lines = text.Split('\n');
        if (lines[^1].Length != 0)
        {
            throw new FormatException("the exposition does not end with a newline");
        }

        string? family = null;
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            if (openMetrics && line == "# EOF")
            {
                if (i != lines.Length - 2)
                {
                    throw new FormatException("# EOF is not the last line");
                }

                return new Exposition(types, samples);
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                family = parts[2];
                if (!types.TryAdd(family, parts[3]))
                {
                    throw new FormatException($"family {family} declared twice");
                }

                if (openMetrics && parts[3] == "counter" && family.EndsWith("_total", StringComparison.Ordinal))
                {
                    throw new FormatException($"OpenMetrics counter family {family} is named with _total");
                }

                continue;
            }

            if (line.StartsWith("# UNIT ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (!openMetrics || parts[2] != family || !family.EndsWith("_" + parts[3], StringComparison.Ordinal))
                {
                    throw new FormatException($"bad UNIT line '{line}'");
                }

                continue;
            }

            if (line.StartsWith('#'))
            {
                if (!line.StartsWith("# HELP ", StringComparison.Ordinal))
                {
                    throw new FormatException($"unknown comment '{line}'");
                }

                continue;
            }

            var sample = SampleLine(line);
            if (family is null || !BelongsTo(sample.Name, family, types[family], openMetrics))
            {
                throw new FormatException($"sample {sample.Name} does not belong to the family declared before it ({family})");
            }

            samples.Add(sample with { Family = family });
        }

        if (openMetrics)
        {
            throw new FormatException("no # EOF");
        }

        return new Exposition(types, samples);
    }

    /// <summary>Every histogram's buckets: cumulative, in increasing <c>le</c>, the last +Inf and equal to its <c>_count</c>.</summary>
    public static void CheckHistograms(Exposition exposition)
    {
        foreach (var (family, type) in exposition.Types.Where(t => t.Value == "histogram"))
        {
            var series = exposition.Samples.Where(s => s.Family == family).GroupBy(s => SeriesKey(s.Labels));
            foreach (var one in series)
            {
                var buckets = one.Where(s => s.Name == family + "_bucket").ToList();
                var count = one.Single(s => s.Name == family + "_count").Value;
                Assert.NotEmpty(buckets);
                Assert.Equal("+Inf", buckets[^1].Labels["le"]);
                Assert.Equal(count, buckets[^1].Value);
                for (var i = 1; i < buckets.Count; i++)
                {
                    Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{family} buckets are not cumulative");
                    if (i < buckets.Count - 1)
                    {
                        Assert.True(Le(buckets[i]) > Le(buckets[i - 1]), $"{family} bounds do not increase");
                    }
                }

                _ = one.Single(s => s.Name == family + "_sum");
            }
        }

        static double Le(Sample s) => double.Parse(s.Labels["le"], CultureInfo.InvariantCulture);
    }

    private static string SeriesKey(IReadOnlyDictionary<string, string> labels) =>
        string.Join(',', labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static bool BelongsTo(string sample, string family, string type, bool openMetrics) => type switch
    {
        "counter" => openMetrics ? sample == family + "_total" : sample == family && family.EndsWith("_total", StringComparison.Ordinal),
        "histogram" => sample == family + "_bucket" || sample == family + "_sum" || sample == family + "_count",
        _ => sample == family,
    };

    private static Sample SampleLine(string line)
    {
        var match = SampleSyntax().Match(line);
        if (!match.Success)
        {
            throw new FormatException($"not a sample line: '{line}'");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var body = match.Groups["labels"].Value;
        var at = 0;
        while (at < body.Length)
        {
            var label = LabelSyntax().Match(body, at);
            if (!label.Success || label.Index != at)
            {
                throw new FormatException($"bad labels in '{line}'");
            }

            if (!labels.TryAdd(label.Groups["name"].Value, Unescape(label.Groups["value"].Value)))
            {
                throw new FormatException($"label {label.Groups["name"].Value} twice in '{line}'");
            }

            at += label.Length;
        }

        var value = match.Groups["value"].Value;
        var number = value == "+Inf" ? double.PositiveInfinity : double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        return new Sample("", match.Groups["name"].Value, labels, number);
    }

    private static string Unescape(string value) => value.Replace("\\n", "\n", StringComparison.Ordinal)
        .Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)$")]
    private static partial Regex SampleSyntax();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)"",?")]
    private static partial Regex LabelSyntax();
}
