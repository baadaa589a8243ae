using Weft.Proxy.Forwarding;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// One hop-by-hop set (<see cref="Hop"/>, the set YARP's forwarder drops for the full path): with the fast path on or off,
/// the app never sees one of the client's, and the client never sees one of the app's; nor does a mirror's copy carry one.
/// </summary>
public sealed class HopByHopHeaderTests
{
    /// <summary>
    /// Every name of the set but those that change a request's framing or protocol (Connection, Transfer-Encoding,
    /// Upgrade: their own tests), each with a value it may carry alone.
    /// </summary>
    public static TheoryData<string, string, bool> RequestHeaders()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var name in Hop.Headers.Where(n => n is not ("Connection" or "Transfer-Encoding" or "Upgrade")).Order(StringComparer.Ordinal))
        {
            var value = name == "TE" ? "trailers" : "x";
            data.Add(name, value, true);
            data.Add(name, value, false);
        }

        return data;
    }

    public static TheoryData<string, string> MirroredHeaders()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Hop.Headers.Where(n => n is not ("Connection" or "Transfer-Encoding" or "Upgrade")).Order(StringComparer.Ordinal))
        {
            data.Add(name, name == "TE" ? "trailers" : "x");
        }

        return data;
    }

    public static TheoryData<string, bool> ResponseHeaders()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Hop.Headers.Where(n => n is not ("Connection" or "Transfer-Encoding" or "Upgrade")).Order(StringComparer.Ordinal))
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RequestHeaders))]
    public async Task A_hop_by_hop_request_header_does_not_reach_the_app(string name, string value, bool fastPath)
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, extra: $"{name}: {value}\r\nX-App: 1\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(app.Received);
        Assert.Equal("1", seen.Header("X-App"));
        Assert.False(seen.Has(name), seen.Head);
    }

    [Theory]
    [MemberData(nameof(ResponseHeaders))]
    public async Task A_hop_by_hop_response_header_does_not_reach_the_client(string name, bool fastPath)
    {
        await using var app = ScriptedApp.Start($"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n{name}: x\r\nX-App: 1\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal("ok", response.BodyText);
        Assert.Equal("1", response.Header("X-App"));
        Assert.False(response.Has(name), response.Head);
    }

    [Theory]
    [MemberData(nameof(MirroredHeaders))]
    public async Task A_hop_by_hop_request_header_does_not_reach_a_mirror(string name, string value)
    {
        // mTLS on, and endpoints without an identity (pods without a sidecar): the copy goes straight to the mirror's
        // app, with no inbound sidecar on the way to drop anything for it.
        using var ca = new OutboundMeshCa();
        await using var primary = ScriptedApp.Start(_ => ScriptedReply.Ok("primary"));
        await using var shadow = ScriptedApp.Start(_ => ScriptedReply.Ok("shadow"));
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = OutboundPolicies.Backend("shadow", shadow) } };
        await using var proxy = await OutboundProxy.StartAsync(
            [("web:8080", Policies.Service("web", 8080, [Policies.Rule(filters: [mirror], backends: OutboundPolicies.Backend("primary", primary))]))],
            fastPath: true, identity: ca.Issue("client"));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(OutboundProxy.Get("http://web:8080/mirrored", $"{name}: {value}\r\nX-App: 1\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("primary", response.BodyText);
        await Eventually.TrueAsync(() => !shadow.Received.IsEmpty, "the mirror received the copy");
        var copy = Assert.Single(shadow.Received);
        Assert.Equal("1", copy.Header("X-App"));
        Assert.False(copy.Has(name), copy.Head);
    }
}
