using System.Text.Json;
using System.Text.RegularExpressions;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// <c>deploy/grafana/weft-dashboard.json</c> reads only what the sidecars serve: every metric its PromQL names is a
/// sample name of a proxy's scrape, and every label it selects or groups by is one those samples carry.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public void Every_metric_and_label_the_dashboard_queries_is_one_the_sidecar_serves()
    {
        var samples = ExpositionParser.Parse(ExpositionFormatTests.Busy().Write(ExpositionFormat.Prometheus), openMetrics: false).Samples;
        var labelsOf = samples.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.SelectMany(s => s.Labels.Keys).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "grafana", "weft-dashboard.json")));
        var queries = Queries(dashboard.RootElement).ToList();

        Assert.True(queries.Count >= 10, $"only {queries.Count} queries found");
        foreach (var query in queries)
        {
            var metrics = Metric().Matches(query).Select(m => m.Groups["name"].Value).ToList();
            Assert.True(metrics.Count > 0, $"no Weft metric in '{query}'");
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match selector in Metric().Matches(query))
            {
                var name = selector.Groups["name"].Value;
                Assert.True(labelsOf.TryGetValue(name, out var labels), $"the sidecar serves no '{name}' (in '{query}')");
                known.UnionWith(labels);
                foreach (Match matcher in Matcher().Matches(selector.Groups["selector"].Value))
                {
                    Assert.Contains(matcher.Groups["label"].Value, labels);
                }
            }

            foreach (Match grouping in By().Matches(query))
            {
                foreach (var label in grouping.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries))
                {
                    Assert.True(known.Contains(label), $"'{label}' is on none of the metrics of '{query}'");
                }
            }
        }
    }

    [Fact]
    public void The_dashboard_shows_rate_success_rate_and_latency_quantiles_by_workload_and_by_route_and_TCP_bytes()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "grafana", "weft-dashboard.json")));
        var queries = Queries(dashboard.RootElement).ToList();

        foreach (var grouping in new[] { "dst_workload", "route_name" })
        {
            Assert.Contains(queries, q => q.Contains("rate(weft_requests_total", StringComparison.Ordinal) && q.Contains(grouping, StringComparison.Ordinal) && !q.Contains(" / ", StringComparison.Ordinal));
            Assert.Contains(queries, q => q.Contains("status_class=~\"[1-4]xx\"", StringComparison.Ordinal) && q.Contains(grouping, StringComparison.Ordinal));
            foreach (var quantile in new[] { "0.5", "0.95", "0.99" })
            {
                Assert.Contains(queries, q => q.StartsWith($"histogram_quantile({quantile},", StringComparison.Ordinal) && q.Contains(grouping, StringComparison.Ordinal));
            }
        }

        Assert.Contains(queries, q => q.Contains("weft_tcp_read_bytes_total", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("weft_tcp_write_bytes_total", StringComparison.Ordinal));
    }

    /// <summary>Every panel target's <c>expr</c> and every template variable's query.</summary>
    private static IEnumerable<string> Queries(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "definition" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }

                    foreach (var query in Queries(property.Value))
                    {
                        yield return query;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var query in Queries(item))
                    {
                        yield return query;
                    }
                }

                break;
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Weft.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no Weft.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"(?<name>\bweft_[a-z0-9_]+)(\{(?<selector>[^}]*)\})?")]
    private static partial Regex Metric();

    [GeneratedRegex(@"(?<label>[a-z_]+)\s*(=~|!~|!=|=)")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"\bby \((?<labels>[^)]*)\)")]
    private static partial Regex By();
}
