using Weft.Proxy.Tests.Http1;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Inbound;

/// <summary>
/// RFC 5280 4.2.1.12 on both ends of a mesh hop: the inbound listener takes a client's X.509-SVID only if it carries the
/// clientAuth extended key usage, and a sidecar connecting out takes a server's only with serverAuth. Workload
/// certificates carry both (the mesh CA issues them so), so the mesh itself is unaffected. Certificates made here, with
/// one purpose each, on both HTTP paths.
/// </summary>
public sealed class MtlsKeyPurposeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_certificate_with_only_serverAuth_is_refused_at_the_inbound_handshake(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("reached"));
        await using var server = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server"), Http1FastPath = fastPath });

        var reached = await TryRequestAsync(server, ca.Issue("client", OutboundMeshCa.ServerAuth), app);

        Assert.False(reached);
        Assert.Empty(app.Received);
        await Eventually.TrueAsync(() => server.Logs.Lines.Any(l => l.Contains("clientAuth", StringComparison.Ordinal)), "the refusal names the missing purpose");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_certificate_with_clientAuth_is_accepted(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("reached"));
        await using var server = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server"), Http1FastPath = fastPath });

        Assert.True(await TryRequestAsync(server, ca.Issue("client", OutboundMeshCa.ClientAuth), app));
        Assert.Single(app.Received);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_peer_server_certificate_with_only_clientAuth_is_refused_by_the_connecting_sidecar(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = OutboundPolicies.App("v1");
        await using var server = await OutboundProxy.StartAsync([], fastPath, identity: ca.Issue("server", OutboundMeshCa.ClientAuth), podName: "server");
        await using var client = await OutboundProxy.StartAsync(
            [("echo:8080", Service("echo", 8080, defaultBackend: Backend(app, OutboundMeshCa.SpiffeId("server"))))],
            fastPath, peerInboundPort: server.Inbound.Port, identity: ca.Issue("client"));

        var response = await client.ExchangeAsync(OutboundProxy.Get("http://echo:8080/"));

        Assert.Equal(502, response.Status);
        Assert.Empty(app.Received);
        Assert.Contains(client.Logs.Lines, l => l.Contains("serverAuth", StringComparison.Ordinal));
    }

    private static BackendPolicy Backend(ScriptedApp app, string identity)
    {
        var backend = OutboundPolicies.Backend("v1", app);
        return backend with { Endpoints = [backend.Endpoints[0] with { Identity = identity }] };
    }

    /// <summary>One request over mTLS with <paramref name="identity"/>; false when the handshake or the exchange is refused.</summary>
    private static async Task<bool> TryRequestAsync(Sidecar server, Weft.Discovery.Identity.IdentitySnapshot identity, ScriptedApp app)
    {
        try
        {
            await using var connection = await RawConnection.OpenMtlsAsync(server.Inbound, identity);
            // TLS 1.3: the client's side of the handshake ends before the server has judged its certificate; a refusal
            // arrives as an alert on the first read.
            await connection.SendAsync(Sidecar.Get(app.Port));
            return (await connection.ReadResponseAsync()).Status == 200;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            return false;
        }
    }
}
