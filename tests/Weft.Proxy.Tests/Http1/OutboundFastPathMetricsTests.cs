using System.Net;
using System.Net.Sockets;
using Weft.Proxy.Tests.Infrastructure;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A request the outbound fast path forwards counts as one the full path forwards: in <c>weft_requests_total</c> and
/// <c>weft_request_duration_seconds</c> under the outbound labels of its destination, rule and backend, and in the
/// outbound counters of <c>/stats</c>; a handed-off request is counted once.
/// </summary>
public sealed class OutboundFastPathMetricsTests
{
    private const string Labels = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"web\",dst_port=\"8080\",route_kind=\"HTTPRoute\","
        + "route_namespace=\"default\",route_name=\"routes\",rule=\"checkout\",backend=\"default/v1:80\","
        + "src_namespace=\"default\",src_workload=\"client\",src_identity=\"\",dst_workload=\"\",dst_identity=\"\"";

    [Fact]
    public async Task Fast_path_requests_are_counted_under_the_outbound_labels_of_their_rule_and_backend()
    {
        await using var app = OutboundPolicies.App("v1");
        var rule = OutboundPolicies.Named(Rule(backends: OutboundPolicies.Backend("v1", app)), "checkout");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, [rule])));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(OutboundProxy.Get("http://web:8080/"));
            Assert.False((await client.ReadResponseAsync()).Has("Date"));
        }

        // The fast path records a request just after the client has its response, the count before the duration and the
        // metrics before /stats: each is waited for.
        await Eventually.ValueAsync(
            proxy.MetricsAsync,
            m => m.Contains($"weft_requests_total{{{Labels},status_class=\"2xx\"}} 3\n", StringComparison.Ordinal)
                && m.Contains($"weft_request_duration_seconds_count{{{Labels}}} 3\n", StringComparison.Ordinal),
            "weft_requests_total and weft_request_duration_seconds count the three requests");
        await Eventually.ValueAsync(() => proxy.OutboundStatAsync("2xx"), n => n == 3, "/stats counts the three requests");
        Assert.Equal(3, await proxy.OutboundStatAsync("total"));
    }

    [Fact]
    public async Task A_fast_path_request_without_a_rule_is_counted_under_the_default_backend()
    {
        await using var app = OutboundPolicies.App("v1");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, defaultBackend: OutboundPolicies.Backend("v1", app))));

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/"));

        Assert.False(response.Has("Date"));
        const string DefaultLabels = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"web\",dst_port=\"8080\",route_kind=\"\","
            + "route_namespace=\"\",route_name=\"\",rule=\"\",backend=\"default/v1:80\","
            + "src_namespace=\"default\",src_workload=\"client\",src_identity=\"\",dst_workload=\"\",dst_identity=\"\"";
        await Eventually.ValueAsync(
            proxy.MetricsAsync,
            m => m.Contains($"weft_requests_total{{{DefaultLabels},status_class=\"2xx\"}} 1\n", StringComparison.Ordinal),
            "weft_requests_total counts the request");
    }

    [Fact]
    public async Task A_fast_path_status_from_the_peer_is_counted_in_its_class()
    {
        await using var app = ScriptedApp.Start("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        var rule = OutboundPolicies.Named(Rule(backends: OutboundPolicies.Backend("v1", app)), "checkout");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, [rule])));

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/"));

        Assert.Equal(503, response.Status);
        Assert.False(response.Has("Date"));
        await Eventually.ValueAsync(
            proxy.MetricsAsync,
            m => m.Contains($"weft_requests_total{{{Labels},status_class=\"5xx\"}} 1\n", StringComparison.Ordinal),
            "weft_requests_total counts the 503");
        await Eventually.ValueAsync(() => proxy.OutboundStatAsync("5xx"), n => n == 1, "/stats counts the 503");
        Assert.Equal(1, await proxy.OutboundStatAsync("total"));
    }

    [Fact]
    public async Task A_peer_that_cannot_be_reached_is_a_fast_path_502_counted_as_5xx()
    {
        var closed = Ports.Closed();
        var rule = OutboundPolicies.Named(Rule(backends: OutboundPolicies.Backend("v1", 1, 9001)), "checkout");
        await using var proxy = await OutboundProxy.StartAsync([("web:8080", Service("web", 8080, [rule]))], fastPath: true, peerInboundPort: closed);

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/"));

        Assert.Equal(502, response.Status);
        Assert.False(response.Has("Date"));
        await Eventually.ValueAsync(
            proxy.MetricsAsync,
            m => m.Contains($"weft_requests_total{{{Labels},status_class=\"5xx\"}} 1\n", StringComparison.Ordinal),
            "weft_requests_total counts the 502");
        await Eventually.ValueAsync(() => proxy.OutboundStatAsync("5xx"), n => n == 1, "/stats counts the 502");
    }

    [Fact]
    public async Task A_handed_off_request_is_counted_once()
    {
        await using var app = OutboundPolicies.App("v1");
        var rule = OutboundPolicies.Named(Rule(Exact("/only"), backends: OutboundPolicies.Backend("v1", app)), "checkout");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, [rule])));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(OutboundProxy.Get("http://web:8080/only"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync(OutboundProxy.Get("http://web:8080/missing"));
        Assert.Equal(404, (await client.ReadResponseAsync()).Status);

        // Both paths record the metrics before /stats: once /stats has both, so have the metrics.
        await Eventually.ValueAsync(() => proxy.OutboundStatAsync("total"), n => n == 2, "/stats counts both requests");
        Assert.Equal(1, await proxy.OutboundStatAsync("2xx"));
        Assert.Equal(1, await proxy.OutboundStatAsync("4xx"));
        var metrics = await proxy.MetricsAsync();
        Assert.Contains($"weft_requests_total{{{Labels},status_class=\"2xx\"}} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("dst_service=\"web\",dst_port=\"8080\",route_kind=\"\",route_namespace=\"\",route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"default\",src_workload=\"client\",src_identity=\"\",dst_workload=\"\",dst_identity=\"\",status_class=\"4xx\"} 1\n", metrics, StringComparison.Ordinal);
    }
}
