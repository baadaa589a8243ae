using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The Host a request carries on to the next hop, the same on both paths (fast path on or off): an absolute-form
/// target's authority replaces or supplies it (RFC 9112 3.2.2), also for an HTTP/1.0 request that sent none; without
/// an absolute-form target an HTTP/1.0 request's Host is the authority it was sent to (RFC 9112 3.3), never the next
/// hop's address; an HTTP/1.1 request without Host is 400 (RFC 9112 3.2).
/// </summary>
public sealed class RequestHostTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Outbound_an_HTTP_1_0_absolute_form_request_without_Host_carries_the_target_s_authority(bool fastPath)
    {
        await using var peer = ScriptedApp.Start(EchoHost);
        await using var proxy = await StartToWebAsync(peer, fastPath);

        var response = await proxy.ExchangeAsync("GET http://web:8080/old HTTP/1.0\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("host=web:8080", response.BodyText);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Outbound_an_HTTP_1_0_request_without_Host_in_a_tunnel_carries_the_tunnel_s_authority(bool fastPath)
    {
        await using var peer = ScriptedApp.Start(EchoHost);
        await using var proxy = await StartToWebAsync(peer, fastPath);
        await using var client = await proxy.TunnelAsync("web:8080");

        await client.SendAsync("GET /old HTTP/1.0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("host=web:8080", response.BodyText);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Inbound_an_HTTP_1_0_absolute_form_request_without_Host_carries_the_target_s_authority(bool fastPath)
    {
        await using var app = ScriptedApp.Start(EchoHost);
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"GET http://web:8080/old HTTP/1.0\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("host=web:8080", response.BodyText);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Inbound_an_HTTP_1_1_request_without_Host_is_400(bool fastPath)
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"GET / HTTP/1.1\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal(0, app.HeadsRead);
    }

    [Theory]
    [InlineData(true, "GET http://web:8080/ HTTP/1.1\r\n\r\n")]
    [InlineData(false, "GET http://web:8080/ HTTP/1.1\r\n\r\n")]
    [InlineData(true, "GET / HTTP/1.1\r\n\r\n")]
    [InlineData(false, "GET / HTTP/1.1\r\n\r\n")]
    public async Task Outbound_an_HTTP_1_1_request_without_Host_is_400(bool fastPath, string request)
    {
        await using var peer = ScriptedApp.Start(r => ScriptedReply.Ok("reached"));
        await using var proxy = await StartToWebAsync(peer, fastPath);
        await using var client = request.StartsWith("GET /", StringComparison.Ordinal) ? await proxy.TunnelAsync("web:8080") : await proxy.ConnectAsync();

        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal(0, peer.HeadsRead);
    }

    /// <summary>An app that answers with the Host its request carried.</summary>
    private static ScriptedReply EchoHost(ScriptedRequest request) => ScriptedReply.Ok($"host={request.Header("Host")}");

    /// <summary>An outbound sidecar whose Service web:8080 has one backend, reached through <paramref name="peer"/> as its peer sidecar.</summary>
    private static Task<OutboundProxy> StartToWebAsync(ScriptedApp peer, bool fastPath) =>
        OutboundProxy.StartAsync([("web:8080", Service("web", 8080, [Rule(backends: OutboundPolicies.Backend("v1", 1, 9000))]))], fastPath, peerInboundPort: peer.Port);
}
