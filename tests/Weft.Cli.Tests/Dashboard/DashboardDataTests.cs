using System.Text.Json.Nodes;
using Weft.Cli.Dashboard;
using Weft.Discovery.V1;

namespace Weft.Cli.Tests.Dashboard;

/// <summary>What the dashboard's graph and route table are made of: weft stat's rows over every namespace.</summary>
public sealed class DashboardDataTests
{
    [Fact]
    public void An_edge_is_the_callees_inbound_series_by_caller_and_both_ends_are_nodes()
    {
        var pods = new[]
        {
            Pod(Series("inbound", srcNs: "shop", src: "client", dstNs: "shop", dst: "cart", requests: 30, successes: 29),
                Series("inbound", srcNs: "", src: "", dstNs: "shop", dst: "cart", requests: 5, successes: 5, srcIdentity: "spiffe://cluster.local/ns/x/sa/y")),
            Pod(Series("outbound", srcNs: "ops", src: "batch", dstNs: "shop", dst: "cart", requests: 2, successes: 2)),
        };

        var graph = DashboardData.Graph(pods);

        Assert.Equal(["ops/batch", "shop/cart", "shop/client", "spiffe://cluster.local/ns/x/sa/y"], graph["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()));
        var edges = graph["edges"]!.AsArray();
        Assert.Equal(2, edges.Count);
        var client = edges.Single(e => e!["from"]!.GetValue<string>() == "shop/client")!;
        Assert.Equal(("shop/cart", 30UL, "96.67%"), (client["to"]!.GetValue<string>(), client["requests"]!.GetValue<ulong>(), client["success"]!.GetValue<string>()));
    }

    [Fact]
    public void Route_rows_of_every_namespace_carry_their_namespace()
    {
        var pods = new[] { Pod(Series("outbound", srcNs: "shop", src: "client", dstNs: "shop", dst: "cart", requests: 4, successes: 4, route: ("HTTPRoute", "shop", "canary", "v2"))) };

        var routes = DashboardData.Routes(pods);

        Assert.Equal("httproute/shop/canary v2", Assert.Single(routes)!["name"]!.GetValue<string>());
    }

    private static PodStat Pod(params StatSeries[] series)
    {
        var window = new StatWindow { WindowSeconds = 60, Seconds = 10 };
        window.Bounds.AddRange([0.001, 0.01]);
        window.Series.AddRange(series);
        return new PodStat { Pod = "p", Window = window };
    }

    private static StatSeries Series(string direction, string srcNs, string src, string dstNs, string dst, ulong requests, ulong successes,
        string srcIdentity = "", (string Kind, string Namespace, string Name, string Rule)? route = null)
    {
        var series = new StatSeries { Requests = requests, Successes = successes };
        series.Labels.Add(new Dictionary<string, string>
        {
            ["direction"] = direction,
            ["src_namespace"] = srcNs,
            ["src_workload"] = src,
            ["src_identity"] = srcIdentity,
            ["dst_namespace"] = dstNs,
            ["dst_workload"] = dst,
            ["dst_service"] = dst,
            ["route_kind"] = route?.Kind ?? "",
            ["route_namespace"] = route?.Namespace ?? "",
            ["route_name"] = route?.Name ?? "",
            ["rule"] = route?.Rule ?? "",
        });
        series.Buckets.AddRange([requests, 0, 0]);
        return series;
    }
}
