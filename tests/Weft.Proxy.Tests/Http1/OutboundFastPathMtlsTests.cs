using System.Text.Json;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// With mTLS on (DESIGN decision 4), the outbound fast path reaches an endpoint with an identity through its sidecar's
/// inbound listener over mTLS (ALPN http/1.1, the identity discovery named checked), and one without straight on its
/// target port in plaintext (a pod without a sidecar). Two sidecars on loopback with fixed identities of one test root.
/// </summary>
public sealed class OutboundFastPathMtlsTests
{
    [Fact]
    public async Task The_fast_path_sends_over_mTLS_to_the_peer_sidecar_which_relays_to_its_app()
    {
        using var ca = new OutboundMeshCa();
        await using var app = OutboundPolicies.App("v1");
        await using var server = await OutboundProxy.StartAsync([], fastPath: true, identity: ca.Issue("server"), podName: "server");
        await using var client = await OutboundProxy.StartAsync(
            [("echo:8080", Service("echo", 8080, defaultBackend: Backend(app, OutboundMeshCa.SpiffeId("server"))))],
            fastPath: true, peerInboundPort: server.Inbound.Port, identity: ca.Issue("client"));
        await using var connection = await client.ConnectAsync();

        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync(OutboundProxy.Get($"http://echo:8080/secure/{i}", "weft-dst-port: 1\r\n"));
            var response = await connection.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.False(response.Has("Date")); // fast path on both sides of the mTLS hop
            Assert.Equal($"v1 /secure/{i} host=echo:8080", response.BodyText);
        }

        Assert.All(app.Received, r => Assert.False(r.Has("weft-dst-port")));
        var outbound = Assert.Single(await ConnectionsAsync(client));
        Assert.Equal("outbound", outbound.GetProperty("direction").GetString());
        Assert.Equal(OutboundMeshCa.SpiffeId("server"), outbound.GetProperty("peerIdentity").GetString());
        Assert.Equal("http/1.1", outbound.GetProperty("alpn").GetString());
        Assert.Equal("TLSv1.3", outbound.GetProperty("tlsVersion").GetString());
        var inbound = Assert.Single(await ConnectionsAsync(server));
        Assert.Equal("inbound", inbound.GetProperty("direction").GetString());
        Assert.Equal(OutboundMeshCa.SpiffeId("client"), inbound.GetProperty("peerIdentity").GetString());
    }

    [Fact]
    public async Task A_peer_sidecar_proving_another_identity_than_discovery_named_gets_no_request()
    {
        using var ca = new OutboundMeshCa();
        await using var app = OutboundPolicies.App("v1");
        await using var server = await OutboundProxy.StartAsync([], fastPath: true, identity: ca.Issue("impostor"), podName: "server");
        await using var client = await OutboundProxy.StartAsync(
            [("echo:8080", Service("echo", 8080, defaultBackend: Backend(app, OutboundMeshCa.SpiffeId("server"))))],
            fastPath: true, peerInboundPort: server.Inbound.Port, identity: ca.Issue("client"));

        var response = await client.ExchangeAsync(OutboundProxy.Get("http://echo:8080/"));

        Assert.Equal(502, response.Status);
        Assert.False(response.Has("Date"));
        Assert.Empty(app.Received);
        Assert.Contains(client.Logs.Lines, l => l.Contains(OutboundMeshCa.SpiffeId("impostor"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_endpoint_without_an_identity_is_reached_in_plaintext_on_its_target_port_without_weft_dst_port()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("direct"));
        await using var client = await OutboundProxy.StartAsync(
            [("echo:8080", Service("echo", 8080, defaultBackend: OutboundPolicies.Backend("v1", app)))],
            fastPath: true, identity: ca.Issue("client"));

        var response = await client.ExchangeAsync(OutboundProxy.Get("http://echo:8080/plain?x=1", "weft-dst-port: 1\r\n"));

        Assert.Equal("direct", response.BodyText);
        Assert.False(response.Has("Date"));
        Assert.Equal("GET /plain?x=1 HTTP/1.1\r\nHost: echo:8080\r\n\r\n", Assert.Single(app.Received).Head);
    }

    [Fact]
    public async Task A_peer_that_starts_a_TLS_handshake_and_goes_silent_is_closed_when_the_handshake_time_is_up()
    {
        using var ca = new OutboundMeshCa();
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "server",
            Identity = ca.Issue("server"),
            TlsHandshakeTimeout = TimeSpan.FromMilliseconds(300),
        });
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(server.Inbound, deadline.Token);

        await socket.SendAsync(new byte[] { 0x16 }, deadline.Token); // a TLS record's first byte, and nothing more

        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], deadline.Token)); // closed by the sidecar, not by the deadline
        var connections = JsonDocument.Parse(await new HttpClient().GetStringAsync(new Uri($"http://{server.Proxy.AdminEndpoint}/connections"))).RootElement;
        Assert.Equal(1, connections.GetProperty("refused").GetInt32());
        Assert.Contains(server.Logs.Lines, l => l.Contains("no handshake within 0.3 s", StringComparison.Ordinal));
    }

    private static BackendPolicy Backend(ScriptedApp app, string identity)
    {
        var backend = OutboundPolicies.Backend("v1", app);
        return backend with { Endpoints = [backend.Endpoints[0] with { Identity = identity }] };
    }

    private static async Task<JsonElement[]> ConnectionsAsync(OutboundProxy proxy)
    {
        using var json = JsonDocument.Parse(await proxy.ConnectionsAsync());
        return [.. json.RootElement.GetProperty("connections").EnumerateArray().Select(c => c.Clone())];
    }
}
