using Weft.Cli.Commands;
using Weft.Discovery.V1;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft stat</c>'s arithmetic (issue 16): which series make which row, the rate from each pod's own window length,
/// success as "not 5xx", and quantiles interpolated within the summed histogram as Prometheus' histogram_quantile does;
/// and L4 connections (TCPRoute, TLSRoute, opaque TCP) in the same rows, as <c>linkerd viz stat</c>'s TCP columns.
/// </summary>
public sealed class StatTableTests
{
    private static readonly double[] Bounds = [0.001, 0.01, 0.1, 1];

    [Fact]
    public void Quantile_interpolates_linearly_within_the_bucket_holding_the_rank()
    {
        // 10 requests in (0, 1 ms], 10 in (1 ms, 10 ms]: the median is the 1 ms bound, p75 half way into the second bucket.
        ulong[] buckets = [10, 10, 0, 0, 0];

        Assert.Equal(0.001, StatTable.Quantile(Bounds, buckets, 0.50)!.Value, 9);
        Assert.Equal(0.0055, StatTable.Quantile(Bounds, buckets, 0.75)!.Value, 9);
        Assert.Equal(0.0005, StatTable.Quantile(Bounds, buckets, 0.25)!.Value, 9);
    }

    [Fact]
    public void Quantile_in_the_infinite_bucket_is_the_last_finite_bound_and_none_without_requests()
    {
        Assert.Equal(1, StatTable.Quantile(Bounds, [0, 0, 0, 1, 9], 0.99));
        Assert.Null(StatTable.Quantile(Bounds, [0, 0, 0, 0, 0], 0.5));
    }

    [Fact]
    public void A_deployment_row_sums_the_inbound_series_of_its_pods_and_rates_each_by_its_own_window()
    {
        var pods = new[]
        {
            Pod(20, Series("inbound", dstWorkload: "web", requests: 40, successes: 40, buckets: [40, 0, 0, 0, 0])),
            Pod(10, Series("inbound", dstWorkload: "web", requests: 10, successes: 5, buckets: [0, 10, 0, 0, 0]),
                Series("outbound", dstWorkload: "web", requests: 99, successes: 99, buckets: [99, 0, 0, 0, 0])),
        };

        var row = Assert.Single(StatTable.Rows(new StatQuery(StatKind.Deploy, "shop"), pods));

        Assert.Equal(("deploy/web", 50UL, 45UL), (row.Name, row.Requests, row.Successes));
        Assert.Equal(3.0, row.RequestsPerSecond, 9); // 40/20 s + 10/10 s, not 50/30 s
        Assert.Equal(0.000625, row.P50!.Value, 9); // rank 25 of 50, in the first bucket's 40
    }

    [Fact]
    public void A_service_row_reads_the_callers_outbound_series_and_from_keeps_one_callers()
    {
        var pods = new[]
        {
            Pod(10, Series("outbound", dstService: "cart", srcWorkload: "client", requests: 10, successes: 10, buckets: [10, 0, 0, 0, 0]),
                Series("outbound", dstService: "cart", srcWorkload: "batch", requests: 5, successes: 5, buckets: [5, 0, 0, 0, 0]),
                Series("inbound", dstService: "cart", srcWorkload: "client", requests: 7, successes: 7, buckets: [7, 0, 0, 0, 0])),
        };

        Assert.Equal(15UL, Assert.Single(StatTable.Rows(new StatQuery(StatKind.Service, "shop"), pods)).Requests);
        Assert.Equal(10UL, Assert.Single(StatTable.Rows(new StatQuery(StatKind.Service, "shop", FromWorkload: "client"), pods)).Requests);
        Assert.Empty(StatTable.Rows(new StatQuery(StatKind.Service, "shop", FromWorkload: "client", FromNamespace: "other"), pods));
    }

    [Fact]
    public void Route_and_rule_rows_are_the_routes_of_the_namespace_asked_for()
    {
        var pods = new[]
        {
            Pod(10, Series("outbound", dstService: "cart", route: ("HTTPRoute", "shop", "canary", "v2"), requests: 2, successes: 2, buckets: [2, 0, 0, 0, 0]),
                Series("outbound", dstService: "cart", route: ("HTTPRoute", "shop", "canary", "0"), requests: 3, successes: 0, buckets: [0, 0, 3, 0, 0]),
                Series("outbound", dstService: "cart", route: ("HTTPRoute", "client", "mine", "0"), requests: 9, successes: 9, buckets: [9, 0, 0, 0, 0])),
        };

        var route = Assert.Single(StatTable.Rows(new StatQuery(StatKind.Route, "shop"), pods));
        var rules = StatTable.Rows(new StatQuery(StatKind.Rule, "shop"), pods);

        Assert.Equal(("httproute/canary", 5UL, 2UL), (route.Name, route.Requests, route.Successes));
        Assert.Equal(["httproute/canary 0", "httproute/canary v2"], rules.Select(r => r.Name));
    }

    [Fact]
    public void A_named_target_without_calls_in_the_window_is_a_row_of_dashes()
    {
        var rows = StatTable.Rows(new StatQuery(StatKind.Deploy, "shop", Name: "idle"), [Pod(10)]);
        var text = StatTable.Render(StatKind.Deploy, rows);

        Assert.Equal(("deploy/idle", 0UL, (double?)null), (rows.Single().Name, rows.Single().Requests, rows.Single().P99));
        Assert.Matches(@"deploy/idle\s+-\s+-\s+-\s+-\s+-\s+0\n", text);
    }

    [Fact]
    public void A_named_route_is_its_rows_and_without_calls_one_row_of_dashes()
    {
        var pods = new[] { Pod(10, Series("outbound", dstService: "cart", route: ("HTTPRoute", "shop", "canary", "v2"), requests: 2, successes: 2, buckets: [2, 0, 0, 0, 0])) };

        Assert.Equal(["httproute/canary"], StatTable.Rows(new StatQuery(StatKind.Route, "shop", Name: "canary"), pods).Select(r => r.Name));
        Assert.Equal(["route/idle"], StatTable.Rows(new StatQuery(StatKind.Rule, "shop", Name: "idle"), pods).Select(r => r.Name));
    }

    [Fact]
    public void Render_prints_success_rate_rate_and_latencies_in_milliseconds()
    {
        var text = StatTable.Render(StatKind.Service, [new StatRow("svc/cart", 200, 199, 3.33, 0.0005, 0.0042, 0.25)]);

        Assert.StartsWith("SERVICE   SUCCESS       RPS LATENCY_P50 LATENCY_P95 LATENCY_P99  REQUESTS\n", text, StringComparison.Ordinal);
        Assert.Contains("svc/cart   99.50%    3.3rps       0.5ms       4.2ms       250ms       200\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deployment_with_only_TCP_connections_is_a_row_with_its_connections_and_bytes()
    {
        // Two pods of db, each over its own window: bytes per second are each pod's bytes over its seconds, summed.
        var pods = new[]
        {
            Pod(20, Series("inbound", 0, 0, [], dstWorkload: "db", tcp: new StatTcp { Open = 1, Opened = 200, ReadBytes = 2000, WriteBytes = 40000 })),
            Pod(10, Series("inbound", 0, 0, [], dstWorkload: "db", tcp: new StatTcp { Open = 2, Opened = 60, ReadBytes = 500, WriteBytes = 0 })),
        };

        var row = Assert.Single(StatTable.Rows(new StatQuery(StatKind.Deploy, "shop"), pods));

        Assert.Equal(("deploy/db", 0UL, (double?)null), (row.Name, row.Requests, row.P50));
        Assert.Equal(new TcpTraffic(3, 260, 150, 2000), row.Tcp); // 2000/20 + 500/10, 40000/20 + 0/10
    }

    [Fact]
    public void A_row_with_TCP_shows_its_connections_and_the_HTTP_columns_as_dashes()
    {
        var text = StatTable.Render(StatKind.Deploy,
        [
            new StatRow("deploy/db", 0, 0, 0, null, null, null, new TcpTraffic(3, 260, 150, 2_500_000)),
            new StatRow("deploy/web", 10, 10, 1, 0.001, 0.002, 0.003),
        ]);

        Assert.StartsWith("DEPLOYMENT  SUCCESS       RPS LATENCY_P50 LATENCY_P95 LATENCY_P99  REQUESTS TCP_CONN TCP_OPENED READ_BYTES/SEC WRITE_BYTES/SEC\n", text, StringComparison.Ordinal);
        Assert.Contains("deploy/db         -         -           -           -           -         0        3        260       150.0B/s         2.5MB/s\n", text, StringComparison.Ordinal);
        Assert.Contains("deploy/web  100.00%    1.0rps         1ms         2ms         3ms        10        -          -              -               -\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_without_TCP_connections_has_no_TCP_columns()
    {
        var text = StatTable.Render(StatKind.Deploy, [new StatRow("deploy/web", 10, 10, 1, 0.001, 0.002, 0.003)]);

        Assert.DoesNotContain("TCP_CONN", text, StringComparison.Ordinal);
        Assert.EndsWith("REQUESTS\n", text.Split('\n')[0] + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public void A_TCPRoute_and_its_rule_are_rows_of_the_callers_L4_series()
    {
        var pods = new[]
        {
            Pod(10, Series("outbound", 0, 0, [], dstService: "db", route: ("TCPRoute", "shop", "db-split", "0"), tcp: new StatTcp { Opened = 5, ReadBytes = 100, WriteBytes = 300 }),
                Series("outbound", 2, 2, [2, 0, 0, 0, 0], dstService: "cart", route: ("HTTPRoute", "shop", "canary", "0"))),
        };

        var routes = StatTable.Rows(new StatQuery(StatKind.Route, "shop"), pods);
        var service = Assert.Single(StatTable.Rows(new StatQuery(StatKind.Service, "shop", Name: "db"), pods));

        Assert.Equal(["httproute/canary", "tcproute/db-split"], routes.Select(r => r.Name));
        Assert.Null(routes[0].Tcp);
        Assert.Equal(new TcpTraffic(0, 5, 10, 30), routes[1].Tcp);
        Assert.Equal(["tcproute/db-split 0"], StatTable.Rows(new StatQuery(StatKind.Rule, "shop", Name: "db-split"), pods).Select(r => r.Name));
        Assert.Equal(new TcpTraffic(0, 5, 10, 30), service.Tcp);
    }

    [Theory]
    [InlineData(0, "0.0B/s")]
    [InlineData(999.94, "999.9B/s")]
    [InlineData(12_345, "12.3kB/s")]
    [InlineData(4_500_000, "4.5MB/s")]
    [InlineData(1_200_000_000, "1.2GB/s")]
    public void Bytes_per_second_are_printed_with_decimal_prefixes(double perSecond, string text) =>
        Assert.Equal(text, StatTable.BytesRateText(perSecond));

    [Theory]
    [InlineData("deploy", "shop", null, "Deploy", null)]
    [InlineData("deploy/cart", "shop", null, "Deploy", "cart")]
    [InlineData("svc/cart", "shop", "deploy/client", "Service", "cart")]
    [InlineData("routes", "shop", null, "Route", null)]
    [InlineData("rules/canary", "shop", null, "Rule", "canary")]
    [InlineData("tcproute/db", "shop", null, "Route", "db")]
    public void Targets_name_a_kind_and_maybe_one_of_it(string target, string ns, string? from, string kind, string? name)
    {
        Assert.True(StatCommand.TryQuery(target, ns, from, null, out var query, out var error), error);
        Assert.Equal((kind, name, ns), (query.Kind.ToString(), query.Name, query.Namespace));
        Assert.Equal(from is null ? null : "client", query.FromWorkload);
    }

    [Theory]
    [InlineData("pods", null, "cannot stat 'pods'")]
    [InlineData("deploy/", null, "'deploy/' names no deploy")]
    [InlineData("svc/a/b", null, "'svc/a/b' names no svc")]
    [InlineData("deploy", "svc/client", "--from 'svc/client'")]
    public void A_bad_target_or_from_is_refused_with_why(string target, string? from, string message)
    {
        Assert.False(StatCommand.TryQuery(target, "shop", from, null, out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s", 10u)]
    [InlineData("1m", 60u)]
    [InlineData("60s", 60u)]
    public void A_window_is_seconds_or_a_minute(string text, uint seconds)
    {
        Assert.True(StatCommand.TryWindow(text, out var parsed, out _));
        Assert.Equal(seconds, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("61s")]
    [InlineData("2m")]
    [InlineData("10")]
    [InlineData("-5s")]
    public void A_window_beyond_a_minute_or_without_a_unit_is_refused(string text) =>
        Assert.False(StatCommand.TryWindow(text, out _, out _));

    private static PodStat Pod(double seconds, params StatSeries[] series)
    {
        var window = new StatWindow { WindowSeconds = 60, Seconds = seconds };
        window.Bounds.AddRange(Bounds);
        window.Series.AddRange(series);
        return new PodStat { Pod = "shop/p", Window = window };
    }

    private static StatSeries Series(string direction, ulong requests, ulong successes, ulong[] buckets, string dstWorkload = "", string dstService = "",
        string srcWorkload = "client", (string Kind, string Namespace, string Name, string Rule)? route = null, StatTcp? tcp = null)
    {
        var series = new StatSeries { Requests = requests, Successes = successes, Tcp = tcp };
        series.Labels.Add(new Dictionary<string, string>
        {
            ["direction"] = direction,
            ["dst_namespace"] = "shop",
            ["dst_service"] = dstService,
            ["dst_workload"] = dstWorkload,
            ["src_namespace"] = "shop",
            ["src_workload"] = srcWorkload,
            ["route_kind"] = route?.Kind ?? "",
            ["route_namespace"] = route?.Namespace ?? "",
            ["route_name"] = route?.Name ?? "",
            ["rule"] = route?.Rule ?? "",
        });
        series.Buckets.AddRange(buckets);
        return series;
    }

    [Fact]
    public void An_empty_answer_is_a_sentence_not_a_header_alone()
    {
        Assert.True(StatCommand.TryQuery("deploy", "nosuchns", null, null, out var query, out _));
        Assert.Equal("No Deployments with requests or TCP connections in namespace nosuchns in the last 60s.", StatTable.NoneFound(query, 60));
    }
}
