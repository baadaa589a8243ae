using Weft.Tests.Shared;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A chunked request body that turns out malformed (RFC 9112 7.1) after its head went upstream: the client gets 400,
/// and the app never sees a request that looks complete: its connection is cut inside the body (no terminating chunk
/// is made up for it), on the inbound and the outbound listener, fast path on or off (chunked requests always take the
/// full path; a connection that began on the fast path hands them over).
/// </summary>
public sealed class MalformedChunkedBodyTests
{
    private const string GoodChunk = "5\r\nhello\r\n";

    public static TheoryData<bool, string> Malformations => new()
    {
        { true, "zz\r\n" },            // not a hex size
        { false, "zz\r\n" },
        { true, "3\r\nabcXY" },        // no CRLF after the chunk's data
        { false, "3\r\nabcXY" },
        { true, "fffffffffffffffffff\r\n" }, // a size that overflows
        { false, "fffffffffffffffffff\r\n" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public async Task Inbound_a_body_malformed_after_its_head_went_upstream_is_400_and_cut_at_the_app(bool fastPath, string malformed)
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("complete"));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        if (fastPath)
        {
            await client.SendAsync(Sidecar.Get(app.Port, "/first")); // the connection begins on the fast path
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        await client.SendAsync($"POST /up HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n{GoodChunk}");
        var before = fastPath ? 1 : 0;
        await Eventually.TrueAsync(() => app.HeadsRead == before + 1, "the head reached the app");
        await client.SendAsync(malformed);
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        await Eventually.TrueAsync(() => app.Truncated == 1, "the app's connection ended inside the body");
        Assert.Equal(before, app.Received.Count);
    }

    [Theory]
    [MemberData(nameof(Malformations))]
    public async Task Outbound_a_body_malformed_after_its_head_went_upstream_is_400_and_cut_at_the_peer(bool fastPath, string malformed)
    {
        await using var peer = OutboundPolicies.Peer();
        var policy = Service("web", 8080, [Rule(backends: OutboundPolicies.Backend("v1", 1, 9000))]);
        await using var proxy = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath, peerInboundPort: peer.Port);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync($"POST http://web:8080/up HTTP/1.1\r\nHost: web:8080\r\nTransfer-Encoding: chunked\r\n\r\n{GoodChunk}");
        await Eventually.TrueAsync(() => peer.HeadsRead == 1, "the head reached the peer");
        await client.SendAsync(malformed);
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        await Eventually.TrueAsync(() => peer.Truncated == 1, "the peer's connection ended inside the body");
        Assert.Empty(peer.Received);
    }

    [Theory]
    [InlineData(true, "zz\r\n")]
    [InlineData(false, "zz\r\n")]
    [InlineData(true, "-1\r\n")] // a sign is not a hex digit
    [InlineData(false, "-1\r\n")]
    public async Task Inbound_a_body_malformed_from_its_first_chunk_line_is_400_and_its_head_never_reaches_the_app(bool fastPath, string malformed)
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("complete"));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST /up HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n{malformed}");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.True(await client.ClosedByProxyAsync());
        Assert.Equal(0, app.HeadsRead);
        Assert.Equal(0, app.Accepted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Outbound_a_body_malformed_from_its_first_chunk_line_is_400_and_its_head_never_reaches_the_peer(bool fastPath)
    {
        await using var peer = OutboundPolicies.Peer();
        var policy = Service("web", 8080, [Rule(backends: OutboundPolicies.Backend("v1", 1, 9000))]);
        await using var proxy = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath, peerInboundPort: peer.Port);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST http://web:8080/up HTTP/1.1\r\nHost: web:8080\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal(0, peer.HeadsRead);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Inbound_a_well_formed_chunked_body_held_for_its_first_line_reaches_the_app_whole(bool fastPath)
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("got " + System.Text.Encoding.Latin1.GetString(r.Body)));
        await using var sidecar = await Sidecar.StartAsync(fastPath);
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST /up HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n");
        await client.SendAsync("4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("got abcdefg", response.BodyText);
    }
}
