using System.Text.Json.Nodes;
using Weft.Cli.Commands;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Dashboard;

/// <summary>
/// What <c>weft dashboard</c>'s page shows, made from the sidecars' windows with <c>weft stat</c>'s arithmetic
/// (<see cref="StatTable"/>), so the page and <c>weft stat</c> cannot disagree: the service graph (nodes = workloads,
/// edges = calls, the producer view: what the callee's sidecars served, by caller) and per-route-rule golden metrics (the
/// consumer view, where routes are applied), over every namespace.
/// </summary>
internal static class DashboardData
{
    /// <summary>The graph: <c>{nodes: [{id}], edges: [{from, to, requests, successes, rps, success, p50, p95, p99}]}</c>, latencies in seconds.</summary>
    public static JsonObject Graph(IReadOnlyCollection<PodStat> pods)
    {
        // The page shows calls: a row with L4 connections only (weft stat's TCP columns) is not an edge of it.
        var edges = StatTable.Rows(new StatQuery(StatKind.Edge, null), pods).Where(r => r.Requests > 0);
        var nodes = new SortedSet<string>(StringComparer.Ordinal);
        var edgeArray = new JsonArray();
        foreach (var edge in edges)
        {
            var space = edge.Name.IndexOf(' ', StringComparison.Ordinal);
            var (from, to) = (edge.Name[..space], edge.Name[(space + 1)..]);
            nodes.Add(from);
            nodes.Add(to);
            var row = Row(edge);
            row["from"] = from;
            row["to"] = to;
            edgeArray.Add(row);
        }

        // Workloads whose pods answered but that neither called nor were called in the window are nodes too.
        foreach (var pod in pods.Where(p => p.Window is not null))
        {
            foreach (var series in pod.Window.Series)
            {
                if (StatLabels.Of(series.Labels, StatLabels.Direction) == StatLabels.Outbound && StatLabels.Of(series.Labels, StatLabels.SrcWorkload) is { Length: > 0 } workload)
                {
                    nodes.Add($"{StatLabels.Of(series.Labels, StatLabels.SrcNamespace)}/{workload}");
                }
            }
        }

        return new JsonObject
        {
            ["nodes"] = new JsonArray([.. nodes.Select(n => (JsonNode)new JsonObject { ["id"] = n })]),
            ["edges"] = edgeArray,
        };
    }

    /// <summary>Per route rule, every namespace: <c>[{name, requests, successes, rps, success, p50, p95, p99}]</c>.</summary>
    public static JsonArray Routes(IReadOnlyCollection<PodStat> pods) =>
        new([.. StatTable.Rows(new StatQuery(StatKind.Rule, null), pods).Where(r => r.Requests > 0).Select(r =>
        {
            var row = Row(r);
            row["name"] = r.Name;
            return (JsonNode)row;
        })]);

    private static JsonObject Row(StatRow row) => new()
    {
        ["requests"] = row.Requests,
        ["successes"] = row.Successes,
        ["rps"] = Math.Round(row.RequestsPerSecond, 3),
        // The same text weft stat prints, so the page and the command can be compared as written.
        ["success"] = StatTable.SuccessText(row),
        ["p50"] = StatTable.LatencyText(row.P50),
        ["p95"] = StatTable.LatencyText(row.P95),
        ["p99"] = StatTable.LatencyText(row.P99),
        ["rpsText"] = StatTable.RateText(row),
    };
}
