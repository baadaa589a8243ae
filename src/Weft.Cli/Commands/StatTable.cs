using System.Globalization;
using System.Text;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>What <c>weft stat</c> makes rows of: Deployments (producer view), Services, routes or route rules (consumer view).</summary>
internal enum StatKind
{
    Deploy,
    Service,
    Route,
    Rule,
}

/// <summary>
/// The rows <c>weft stat</c> asks for: of <see cref="Kind"/> in <see cref="Namespace"/>, only <see cref="Name"/> when
/// set, only calls from the workload <see cref="FromNamespace"/>/<see cref="FromWorkload"/> when set.
/// </summary>
internal sealed record StatQuery(StatKind Kind, string Namespace, string? Name = null, string? FromWorkload = null, string? FromNamespace = null);

/// <summary>One row: requests and successes (not 5xx) in the window, their rate, and latency quantiles in seconds (null: no requests).</summary>
internal sealed record StatRow(string Name, ulong Requests, ulong Successes, double RequestsPerSecond, double? P50, double? P95, double? P99);

/// <summary>
/// <c>weft stat</c>'s arithmetic, as <c>linkerd viz stat</c>: the sidecars' windows (<see cref="StatWindow"/>, one per
/// pod) filtered to the series the query is about and summed per row. A Deployment's row reads the inbound series of its
/// pods (what its sidecars served: the producer's view); a Service's, route's or rule's the outbound series of every
/// caller (the consumer's view, where routes are applied). Quantiles are interpolated within the summed histogram's
/// buckets as Prometheus' <c>histogram_quantile</c> does, so they are as coarse as its bounds.
/// </summary>
internal static class StatTable
{
    private const string Inbound = "inbound";
    private const string Outbound = "outbound";

    public static IReadOnlyList<StatRow> Rows(StatQuery query, IEnumerable<PodStat> pods)
    {
        var rows = new SortedDictionary<string, Sum>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (pod.Window is not { } window || window.Seconds <= 0)
            {
                continue;
            }

            foreach (var series in window.Series)
            {
                if (RowName(query, series.Labels) is not { } name)
                {
                    continue;
                }

                if (!rows.TryGetValue(name, out var sum))
                {
                    rows[name] = sum = new Sum(window.Bounds.Count);
                }

                sum.Add(series, window.Seconds, window.Bounds);
            }
        }

        // A named Deployment, Service or route with no calls in the window still gets its row ("-"), as linkerd shows it.
        if (query.Name is { } only && !rows.ContainsKey(RowKey(query, only)))
        {
            rows[RowKey(query, only)] = new Sum(0);
        }

        return [.. rows.Select(r => r.Value.Row(r.Key))];
    }

    /// <summary>The row a series counts in, or null when the query is not about it.</summary>
    private static string? RowName(StatQuery query, Google.Protobuf.Collections.MapField<string, string> labels)
    {
        string Label(string name) => labels.TryGetValue(name, out var value) ? value : "";

        if (query.FromWorkload is { } from && (Label("src_workload") != from || Label("src_namespace") != (query.FromNamespace ?? query.Namespace)))
        {
            return null;
        }

        switch (query.Kind)
        {
            case StatKind.Deploy:
                return Label("direction") == Inbound && Label("dst_namespace") == query.Namespace && Label("dst_workload") is { Length: > 0 } workload
                    && (query.Name is null || query.Name == workload) ? RowKey(query, workload) : null;
            case StatKind.Service:
                return Label("direction") == Outbound && Label("dst_namespace") == query.Namespace && Label("dst_service") is { Length: > 0 } service
                    && (query.Name is null || query.Name == service) ? RowKey(query, service) : null;
            default:
                var route = Label("route_name");
                if (Label("direction") != Outbound || route.Length == 0 || Label("route_namespace") != query.Namespace || (query.Name is not null && query.Name != route))
                {
                    return null;
                }

                var kind = Label("route_kind").ToLowerInvariant();
                return query.Kind == StatKind.Route ? $"{kind}/{route}" : $"{kind}/{route} {Label("rule")}";
        }
    }

    private static string RowKey(StatQuery query, string name) => query.Kind switch
    {
        StatKind.Deploy => $"deploy/{name}",
        StatKind.Service => $"svc/{name}",
        _ => name,
    };

    /// <summary>
    /// The <paramref name="q"/>-quantile of a histogram (bucket counts, not cumulative; <paramref name="bounds"/> the
    /// upper bounds, +Inf last), interpolated linearly within its bucket; the last finite bound for one in +Inf; null
    /// when empty.
    /// </summary>
    public static double? Quantile(IReadOnlyList<double> bounds, IReadOnlyList<ulong> buckets, double q)
    {
        var total = buckets.Aggregate(0UL, (a, b) => a + b);
        if (total == 0)
        {
            return null;
        }

        var rank = q * total;
        ulong below = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            if (below + buckets[i] >= rank && buckets[i] > 0)
            {
                if (i >= bounds.Count)
                {
                    return bounds.Count > 0 ? bounds[^1] : null;
                }

                var lower = i == 0 ? 0 : bounds[i - 1];
                return lower + ((bounds[i] - lower) * (rank - below) / buckets[i]);
            }

            below += buckets[i];
        }

        return bounds.Count > 0 ? bounds[^1] : null;
    }

    public static string Render(StatKind kind, IReadOnlyList<StatRow> rows)
    {
        var text = new StringBuilder();
        var first = kind switch { StatKind.Deploy => "DEPLOYMENT", StatKind.Service => "SERVICE", StatKind.Route => "ROUTE", _ => "ROUTE RULE" };
        var width = Math.Max(first.Length, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
        text.Append(CultureInfo.InvariantCulture, $"{first.PadRight(width)} {"SUCCESS",8} {"RPS",9} {"LATENCY_P50",11} {"LATENCY_P95",11} {"LATENCY_P99",11} {"REQUESTS",9}\n");
        foreach (var row in rows)
        {
            var success = row.Requests == 0 ? "-" : (100.0 * row.Successes / row.Requests).ToString("0.00", CultureInfo.InvariantCulture) + "%";
            var rps = row.Requests == 0 ? "-" : row.RequestsPerSecond.ToString("0.0", CultureInfo.InvariantCulture) + "rps";
            text.Append(CultureInfo.InvariantCulture,
                $"{TerminalText.Escape(row.Name).PadRight(width)} {success,8} {rps,9} {Latency(row.P50),11} {Latency(row.P95),11} {Latency(row.P99),11} {row.Requests,9}\n");
        }

        return text.ToString();
    }

    private static string Latency(double? seconds) =>
        seconds is { } s ? (s * 1000).ToString(s < 0.01 ? "0.##" : "0", CultureInfo.InvariantCulture) + "ms" : "-";

    private sealed class Sum(int bounds)
    {
        private double[] _bounds = [];
        private readonly ulong[] _buckets = new ulong[bounds + 1];
        private ulong _requests;
        private ulong _successes;
        private double _rate;

        public void Add(StatSeries series, double seconds, IReadOnlyList<double> bounds)
        {
            _requests += series.Requests;
            _successes += series.Successes;
            _rate += series.Requests / seconds;
            _bounds = [.. bounds];
            for (var i = 0; i < Math.Min(_buckets.Length, series.Buckets.Count); i++)
            {
                _buckets[i] += series.Buckets[i];
            }
        }

        public StatRow Row(string name) => new(name, _requests, _successes, _rate,
            Quantile(_bounds, _buckets, 0.50), Quantile(_bounds, _buckets, 0.95), Quantile(_bounds, _buckets, 0.99));
    }
}
