using System.Globalization;
using System.Text;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// What <c>weft stat</c> makes rows of: Deployments (producer view), Services, routes or route rules (consumer view), or
/// the calls from one workload to another (<c>weft dashboard</c>'s graph edges, producer view).
/// </summary>
internal enum StatKind
{
    Deploy,
    Service,
    Route,
    Rule,
    Edge,
}

/// <summary>
/// The rows <c>weft stat</c> asks for: of <see cref="Kind"/> in <see cref="Namespace"/> (null: every namespace, and the
/// rows are named with theirs), only <see cref="Name"/> when set, only calls from the workload
/// <see cref="FromNamespace"/>/<see cref="FromWorkload"/> when set.
/// </summary>
internal sealed record StatQuery(StatKind Kind, string? Namespace, string? Name = null, string? FromWorkload = null, string? FromNamespace = null);

/// <summary>
/// One row: requests and successes (answered 1xx to 4xx) in the window, their rate, and latency quantiles in seconds
/// (null: no requests); and its L4 connections when it had any (<see cref="TcpTraffic"/>; null: none).
/// </summary>
internal sealed record StatRow(string Name, ulong Requests, ulong Successes, double RequestsPerSecond, double? P50, double? P95, double? P99, TcpTraffic? Tcp = null);

/// <summary>
/// <c>weft stat</c>'s arithmetic, as <c>linkerd viz stat</c>: the sidecars' windows (<see cref="StatWindow"/>, one per
/// pod) filtered to the series the query is about and summed per row. A Deployment's row reads the inbound series of its
/// pods (what its sidecars served: the producer's view); a Service's, route's or rule's the outbound series of every
/// caller (the consumer's view, where routes are applied). Quantiles are interpolated within the summed histogram's
/// buckets as Prometheus' <c>histogram_quantile</c> does, so they are as coarse as its bounds. L4 connection series
/// (TCPRoute, TLSRoute, opaque TCP) count in the same rows by the same labels, so a workload or route with only TCP
/// traffic has a row: its HTTP columns "-", its TCP columns (<see cref="TcpTraffic"/>) filled, as <c>linkerd viz stat</c>.
/// </summary>
internal static class StatTable
{
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
                    rows[name] = sum = new Sum(window.Bounds);
                }

                sum.Add(series, window.Seconds);
            }
        }

        // A named Deployment, Service or route with no calls in the window still gets its row ("-"), as linkerd shows it
        // (a route's kind is not known without a call: "route/NAME").
        if (query.Name is { } only && rows.Count == 0)
        {
            rows[query.Kind is StatKind.Route or StatKind.Rule ? $"route/{only}" : RowKey(query, query.Namespace, only)] = new Sum([]);
        }

        return [.. rows.Select(r => r.Value.Row(r.Key))];
    }

    /// <summary>The row a series counts in, or null when the query is not about it.</summary>
    private static string? RowName(StatQuery query, Google.Protobuf.Collections.MapField<string, string> labels)
    {
        string Label(string name) => StatLabels.Of(labels, name);
        bool InNamespace(string value) => query.Namespace is null || query.Namespace == value;

        if (query.FromWorkload is { } from && (Label(StatLabels.SrcWorkload) != from || Label(StatLabels.SrcNamespace) != (query.FromNamespace ?? query.Namespace)))
        {
            return null;
        }

        switch (query.Kind)
        {
            case StatKind.Deploy:
                return Label(StatLabels.Direction) == StatLabels.Inbound && InNamespace(Label(StatLabels.DstNamespace)) && Label(StatLabels.DstWorkload) is { Length: > 0 } workload
                    && (query.Name is null || query.Name == workload) ? RowKey(query, Label(StatLabels.DstNamespace), workload) : null;
            case StatKind.Service:
                return Label(StatLabels.Direction) == StatLabels.Outbound && InNamespace(Label(StatLabels.DstNamespace)) && Label(StatLabels.DstService) is { Length: > 0 } service
                    && (query.Name is null || query.Name == service) ? RowKey(query, Label(StatLabels.DstNamespace), service) : null;
            case StatKind.Edge:
                // A caller without a workload (no mTLS, or beyond its four names) is known by its identity, or not at all.
                var source = Label(StatLabels.SrcWorkload) is { Length: > 0 } w ? $"{Label(StatLabels.SrcNamespace)}/{w}" : Label(StatLabels.SrcIdentity) is { Length: > 0 } id ? id : "-";
                return Label(StatLabels.Direction) == StatLabels.Inbound && InNamespace(Label(StatLabels.DstNamespace)) && Label(StatLabels.DstWorkload) is { Length: > 0 } callee
                    ? $"{source} {Label(StatLabels.DstNamespace)}/{callee}" : null;
            default:
                var route = Label(StatLabels.RouteName);
                if (Label(StatLabels.Direction) != StatLabels.Outbound || route.Length == 0 || !InNamespace(Label(StatLabels.RouteNamespace)) || (query.Name is not null && query.Name != route))
                {
                    return null;
                }

                var kind = Label(StatLabels.RouteKind).ToLowerInvariant();
                var named = query.Namespace is null ? $"{kind}/{Label(StatLabels.RouteNamespace)}/{route}" : $"{kind}/{route}";
                return query.Kind == StatKind.Route ? named : $"{named} {Label(StatLabels.Rule)}";
        }
    }

    private static string RowKey(StatQuery query, string? @namespace, string name)
    {
        var qualified = query.Namespace is null && @namespace is not null ? $"{@namespace}/{name}" : name;
        return query.Kind switch
        {
            StatKind.Deploy => $"deploy/{qualified}",
            StatKind.Service => $"svc/{qualified}",
            _ => qualified,
        };
    }

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

    /// <summary>What is said instead of an empty table: nothing in the namespace had requests in the window (or it has no such objects).</summary>
    public static string NoneFound(StatQuery query, uint seconds)
    {
        var what = query.Kind switch { StatKind.Deploy => "Deployments", StatKind.Service => "Services", StatKind.Route => "routes", _ => "route rules" };
        return $"No {what} with requests or TCP connections in namespace {TerminalText.Escape(query.Namespace ?? "")} in the last {seconds.ToString(CultureInfo.InvariantCulture)}s.";
    }

    public static string Render(StatKind kind, IReadOnlyList<StatRow> rows)
    {
        var text = new StringBuilder();
        var first = kind switch { StatKind.Deploy => "DEPLOYMENT", StatKind.Service => "SERVICE", StatKind.Route => "ROUTE", StatKind.Rule => "ROUTE RULE", _ => "FROM TO" };
        var names = rows.Select(r => TerminalText.Escape(r.Name)).ToArray(); // escaped first: the width is the printed one
        var width = Math.Max(first.Length, names.Length == 0 ? 0 : names.Max(n => n.Length));
        // The TCP columns only when some row had L4 connections: an HTTP-only mesh's table stays as it was.
        var tcp = rows.Any(r => r.Tcp is not null);
        text.Append(CultureInfo.InvariantCulture, $"{first.PadRight(width)} {"SUCCESS",8} {"RPS",9} {"LATENCY_P50",11} {"LATENCY_P95",11} {"LATENCY_P99",11} {"REQUESTS",9}");
        text.Append(tcp ? $" {"TCP_CONN",8} {"TCP_OPENED",10} {"READ_BYTES/SEC",14} {"WRITE_BYTES/SEC",15}\n" : "\n");
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            text.Append(CultureInfo.InvariantCulture,
                $"{names[i].PadRight(width)} {SuccessText(row),8} {RateText(row),9} {LatencyText(row.P50),11} {LatencyText(row.P95),11} {LatencyText(row.P99),11} {row.Requests,9}");
            if (row.Tcp is { } t)
            {
                text.Append(CultureInfo.InvariantCulture, $" {t.Open,8} {t.Opened,10} {BytesRateText(t.ReadBytesPerSecond),14} {BytesRateText(t.WriteBytesPerSecond),15}");
            }
            else if (tcp)
            {
                text.Append(CultureInfo.InvariantCulture, $" {"-",8} {"-",10} {"-",14} {"-",15}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The success rate as printed: <c>99.50%</c>, or <c>-</c> without requests.</summary>
    public static string SuccessText(StatRow row) => SuccessText((long)row.Successes, (long)row.Requests);

    /// <summary>The success rate as <c>weft stat</c> and <c>weft top</c> print it: <c>99.50%</c>, or <c>-</c> without requests.</summary>
    public static string SuccessText(long successes, long requests) =>
        requests == 0 ? "-" : (100.0 * successes / requests).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>The rate as printed: <c>3.3rps</c>, or <c>-</c> without requests.</summary>
    public static string RateText(StatRow row) =>
        row.Requests == 0 ? "-" : row.RequestsPerSecond.ToString("0.0", CultureInfo.InvariantCulture) + "rps";

    /// <summary>Bytes per second as printed: <c>512.0B/s</c>, <c>12.3kB/s</c>, <c>4.5MB/s</c>, <c>1.2GB/s</c> (decimal prefixes).</summary>
    public static string BytesRateText(double perSecond) => perSecond switch
    {
        < 1e3 => perSecond.ToString("0.0", CultureInfo.InvariantCulture) + "B/s",
        < 1e6 => (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "kB/s",
        < 1e9 => (perSecond / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + "MB/s",
        _ => (perSecond / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + "GB/s",
    };

    /// <summary>A latency as printed: <c>0.62ms</c>, <c>250ms</c>, or <c>-</c>.</summary>
    public static string LatencyText(double? seconds) =>
        seconds is { } s ? (s * 1000).ToString(s < 0.01 ? "0.##" : "0", CultureInfo.InvariantCulture) + "ms" : "-";

    /// <summary>One row's running sums; every series of it has the row's first window's bounds (one weft-proxy build's).</summary>
    private sealed class Sum(IReadOnlyList<double> bounds)
    {
        private readonly ulong[] _buckets = new ulong[bounds.Count + 1];
        private ulong _requests;
        private ulong _successes;
        private double _rate;
        private bool _tcp;
        private ulong _open;
        private ulong _opened;
        private double _readRate;
        private double _writeRate;

        public void Add(StatSeries series, double seconds)
        {
            if (series.Tcp is { } tcp)
            {
                // Bytes over each pod's own window, summed, as requests are.
                _tcp = true;
                _open += tcp.Open;
                _opened += tcp.Opened;
                _readRate += tcp.ReadBytes / seconds;
                _writeRate += tcp.WriteBytes / seconds;
            }

            _requests += series.Requests;
            _successes += series.Successes;
            _rate += series.Requests / seconds;
            for (var i = 0; i < Math.Min(_buckets.Length, series.Buckets.Count); i++)
            {
                _buckets[i] += series.Buckets[i];
            }
        }

        public StatRow Row(string name) => new(name, _requests, _successes, _rate,
            Quantile(bounds, _buckets, 0.50), Quantile(bounds, _buckets, 0.95), Quantile(bounds, _buckets, 0.99),
            _tcp ? new TcpTraffic(_open, _opened, _readRate, _writeRate) : null);
    }
}
