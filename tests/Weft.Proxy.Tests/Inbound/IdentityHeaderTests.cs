using Weft.Proxy.Tests.Http1;

namespace Weft.Proxy.Tests.Inbound;

/// <summary>
/// A caller cannot claim an identity in a header: the inbound listener removes every <c>X-Forwarded-Client-Cert</c> a
/// caller sent before the app (or the pod's authorization policy) sees the request, on both paths, in plaintext and
/// over mTLS; the rest of the request goes on unchanged.
/// </summary>
public sealed class IdentityHeaderTests
{
    private const string Forged = "By=spiffe://cluster.local/ns/default/sa/app;URI=spiffe://cluster.local/ns/default/sa/admin";

    [Theory]
    [InlineData(true, "X-Forwarded-Client-Cert")]
    [InlineData(false, "X-Forwarded-Client-Cert")]
    [InlineData(true, "x-forwarded-client-cert")]
    [InlineData(false, "x-forwarded-client-cert")]
    public async Task A_client_sent_X_Forwarded_Client_Cert_never_reaches_the_app(bool fastPath, string name)
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/who", $"{name}: {Forged}\r\nX-Other: kept\r\n{name}: second\r\n"));
        var response = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/next"));
        var next = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(200, next.Status);
        var received = app.Received.ToArray();
        Assert.Equal(2, received.Length);
        Assert.False(received[0].Has("X-Forwarded-Client-Cert"));
        Assert.Equal("kept", received[0].Header("X-Other"));
        Assert.Equal("/next", received[1].Target);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_mesh_peer_cannot_pass_on_an_X_Forwarded_Client_Cert_either(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server"), Http1FastPath = fastPath });
        await using var client = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.Issue("client"));

        await client.SendAsync(Sidecar.Get(app.Port, "/who", $"X-Forwarded-Client-Cert: {Forged}\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.False(Assert.Single(app.Received).Has("X-Forwarded-Client-Cert"));
    }
}
