using System.Net;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A fast-path request counts like one on the regular path: in <c>weft_requests_total</c> under the inbound labels of
/// its app port, and in <c>/stats</c>; and with the fast path on or off the client gets the same answer.
/// </summary>
public sealed class Http1RelayMetricsTests
{
    [Fact]
    public async Task A_fast_path_request_is_counted_in_metrics_and_stats()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.False(response.Has("Date")); // the fast path answered, not Kestrel
        var labels = $"direction=\"inbound\",dst_namespace=\"default\",dst_service=\"\",dst_port=\"{app.PortText}\",route_kind=\"\",route_namespace=\"\",route_name=\"\",rule=\"\",backend=\"\","
            + "src_namespace=\"\",src_workload=\"\",src_identity=\"\",dst_workload=\"app\",dst_identity=\"\"";
        // The relay records a request just after the client has its response, the count before the duration and the
        // metrics before /stats: each is waited for.
        await Eventually.ValueAsync(
            sidecar.MetricsAsync,
            m => m.Contains($"weft_requests_total{{{labels},status_class=\"2xx\"}} 1\n", StringComparison.Ordinal)
                && m.Contains($"weft_request_duration_seconds_count{{{labels}}} 1\n", StringComparison.Ordinal),
            "weft_requests_total and weft_request_duration_seconds count the request");
        await Eventually.ValueAsync(() => sidecar.InboundStatAsync("2xx"), n => n == 1, "/stats counts the request");
        Assert.Equal(1, await sidecar.InboundStatAsync("total"));
    }

    [Fact]
    public async Task A_fast_path_502_is_counted_as_5xx()
    {
        await using var app = ScriptedApp.Start("not http\r\n\r\n");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        Assert.Equal(502, (await client.ReadResponseAsync()).Status);

        await Eventually.ValueAsync(
            sidecar.MetricsAsync,
            m => m.Contains($"dst_port=\"{app.PortText}\",route_kind=\"\",route_namespace=\"\",route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"\",src_workload=\"\",src_identity=\"\",dst_workload=\"app\",dst_identity=\"\",status_class=\"5xx\"}} 1\n", StringComparison.Ordinal),
            "weft_requests_total counts the 502");
        await Eventually.ValueAsync(() => sidecar.InboundStatAsync("5xx"), n => n == 1, "/stats counts the 502");
        Assert.Equal(1, await sidecar.InboundStatAsync("total"));
    }

    [Fact]
    public async Task A_request_handed_to_the_regular_path_is_counted_once()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await Eventually.ValueAsync(() => sidecar.InboundStatAsync("2xx"), n => n == 1, "/stats counts the request");
        Assert.Equal(1, await sidecar.InboundStatAsync("total"));
    }

    [Fact]
    public async Task The_fast_path_on_and_off_give_the_same_response()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var fast = await Sidecar.StartAsync(fastPath: true);
        await using var regular = await Sidecar.StartAsync(fastPath: false);
        using var client = new HttpClient();

        var viaFast = await SendAsync(client, fast, app);
        var viaRegular = await SendAsync(client, regular, app);

        Assert.Equal(HttpStatusCode.OK, viaFast.Response.StatusCode);
        Assert.Equal(viaRegular.Response.StatusCode, viaFast.Response.StatusCode);
        Assert.Equal(viaRegular.Response.Headers.GetValues("x-backend"), viaFast.Response.Headers.GetValues("x-backend"));
        Assert.Equal(viaRegular.Response.Content.Headers.ContentType, viaFast.Response.Content.Headers.ContentType);
        Assert.NotNull(viaFast.Echo);
        Assert.NotNull(viaRegular.Echo);
        foreach (var echo in new[] { viaFast.Echo, viaRegular.Echo })
        {
            Assert.Equal("POST", echo.Method);
            Assert.Equal("/in/bound", echo.Path);
            Assert.Equal("?q=1", echo.Query);
            Assert.Equal("echo", echo.Headers["host"]);
            Assert.Equal("kept", echo.Headers["x-custom"]);
            Assert.Equal("5", echo.Headers["content-length"]);
            Assert.False(echo.Headers.ContainsKey("weft-dst-port"));
        }

        Assert.Equal(["hello", "hello"], app.Bodies);
    }

    private static async Task<(HttpResponseMessage Response, EchoedRequest? Echo)> SendAsync(HttpClient client, Sidecar sidecar, TestBackend app)
    {
        app.RecordBodies = true;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{sidecar.Inbound}/in/bound?q=1") { Content = new StringContent("hello") };
        request.Headers.Host = "echo";
        request.Headers.Add("weft-dst-port", app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("x-custom", "kept");
        return await TestMesh.SendAsync(client, request);
    }
}
