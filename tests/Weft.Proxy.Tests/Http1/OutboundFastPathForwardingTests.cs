using System.Text;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The outbound fast path forwards a planned request to the endpoint's sidecar in origin-form (RFC 9112 3.2.1), with the
/// target's authority as Host for an absolute-form request (RFC 9112 3.2.2, as Kestrel's AllowHostHeaderOverride makes
/// it), the endpoint's target port as <c>weft-dst-port</c>, and nothing of the client's hop-by-hop headers or its own
/// <c>weft-dst-port</c>. A scripted peer plays the sidecar, so the exact bytes it was sent are seen.
/// </summary>
public sealed class OutboundFastPathForwardingTests
{
    private const int TargetPort = 9001;

    private static Task<OutboundProxy> StartAsync(ScriptedApp peer, bool fastPath = true) => OutboundProxy.StartAsync(
        [
            ("echo:8080", Service("echo", 8080, defaultBackend: OutboundPolicies.Backend("echo-v1", 1, TargetPort))),
            ("echo:80", Service("echo", 80, defaultBackend: OutboundPolicies.Backend("echo-v1", 1, TargetPort))),
        ],
        fastPath,
        peerInboundPort: peer.Port);

    [Fact]
    public async Task An_absolute_form_GET_reaches_the_peer_in_origin_form_with_the_authority_as_Host_and_the_endpoint_target_port()
    {
        await using var peer = OutboundPolicies.Peer();
        await using var proxy = await StartAsync(peer);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET http://echo:8080/a/b?c=1&d=%20 HTTP/1.1\r\nHost: echo:8080\r\nX-Case: MiXeD  \r\nweft-dst-port: 1234\r\nConnection: keep-alive\r\nAccept: */*\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.False(response.Has("Date")); // relayed by the fast path, not answered by Kestrel
        var seen = Assert.Single(peer.Received);
        Assert.Equal("GET /a/b?c=1&d=%20 HTTP/1.1\r\nHost: echo:8080\r\nX-Case: MiXeD  \r\nAccept: */*\r\nx-dup: 1\r\nX-Dup: 2\r\nweft-dst-port: 9001\r\nweft-src-workload: default/client\r\n\r\n", seen.Head);
    }

    [Theory]
    [InlineData("http://echo:8080", "GET / HTTP/1.1", "echo:8080")]
    [InlineData("http://echo:8080/", "GET / HTTP/1.1", "echo:8080")]
    [InlineData("http://echo/x?y", "GET /x?y HTTP/1.1", "echo")]
    [InlineData("HTTP://echo:8080/Case/Kept", "GET /Case/Kept HTTP/1.1", "echo:8080")]
    public async Task The_absolute_form_target_becomes_the_origin_form_request_line_and_its_authority_the_Host(string url, string requestLine, string host)
    {
        await using var peer = OutboundPolicies.Peer();
        await using var proxy = await StartAsync(peer);

        var response = await proxy.ExchangeAsync($"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.False(response.Has("Date"));
        var seen = Assert.Single(peer.Received);
        Assert.Equal(requestLine, seen.RequestLine);
        Assert.Equal([$"Host: {host}", "weft-dst-port: 9001", "weft-src-workload: default/client"], seen.HeaderLines);
    }

    [Fact]
    public async Task The_peer_s_response_reaches_the_client_as_sent_without_its_hop_by_hop_lines()
    {
        await using var peer = ScriptedApp.Start("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\nX-Peer: Value \r\n\r\nok");
        await using var proxy = await StartAsync(peer);

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://echo:8080/"));

        Assert.Equal("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Peer: Value \r\n\r\n", response.Head);
        Assert.Equal("ok", response.BodyText);
    }

    [Fact]
    public async Task A_Content_Length_body_is_forwarded_with_its_request()
    {
        await using var peer = ScriptedApp.Start(r => ScriptedReply.Ok("got " + Encoding.Latin1.GetString(r.Body)));
        await using var proxy = await StartAsync(peer);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST http://echo:8080/upload HTTP/1.1\r\nHost: echo:8080\r\nContent-Length: 11\r\n\r\nhello world");
        var response = await client.ReadResponseAsync();

        Assert.False(response.Has("Date"));
        Assert.Equal("got hello world", response.BodyText);
        var seen = Assert.Single(peer.Received);
        Assert.Equal("POST /upload HTTP/1.1\r\nHost: echo:8080\r\nContent-Length: 11\r\nweft-dst-port: 9001\r\nweft-src-workload: default/client\r\n\r\n", seen.Head);
    }

    [Fact]
    public async Task A_body_larger_than_the_fast_path_carries_reaches_the_peer_intact_through_the_full_path()
    {
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + (i % 26)))) + "end";
        await using var peer = ScriptedApp.Start(r => ScriptedReply.Ok(Encoding.Latin1.GetString(r.Body) == body ? "intact" : "damaged"));
        await using var proxy = await StartAsync(peer);
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync($"PUT http://echo:8080/big HTTP/1.1\r\nHost: echo:8080\r\nContent-Length: {body.Length}\r\n\r\n{body}");
            var response = await client.ReadResponseAsync();

            Assert.True(response.Has("Date")); // over RelayExchange.MaxBody: Kestrel and YARP stream it
            Assert.Equal("intact", response.BodyText);
        }
    }

    [Fact]
    public async Task The_client_s_Connection_close_reaches_only_the_proxy_which_closes_after_the_response()
    {
        await using var peer = OutboundPolicies.Peer();
        await using var proxy = await StartAsync(peer);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(OutboundProxy.Get("http://echo:8080/bye", "Connection: close\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("port=9001 /bye", response.BodyText);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await client.ClosedByProxyAsync());
        Assert.False(Assert.Single(peer.Received).Has("Connection"));
    }

    [Fact]
    public async Task Requests_in_a_CONNECT_tunnel_reach_the_peer_in_origin_form_with_their_Host_untouched()
    {
        await using var peer = OutboundPolicies.Peer();
        await using var proxy = await StartAsync(peer);
        await using var client = await proxy.TunnelAsync("echo:8080");

        await client.SendAsync("GET /t?x=1 HTTP/1.1\r\nHost: echo-public\r\nweft-dst-port: 1234\r\nConnection: keep-alive\r\n\r\n");
        var first = await client.ReadResponseAsync();
        await client.SendAsync("POST /second HTTP/1.1\r\nHost: echo.default.svc:8080\r\nContent-Length: 2\r\n\r\nhi");
        var second = await client.ReadResponseAsync();

        Assert.Equal("port=9001 /t?x=1", first.BodyText);
        Assert.False(first.Has("Date"));
        Assert.Equal("port=9001 /second", second.BodyText);
        Assert.False(second.Has("Date"));
        Assert.Equal(
            ["GET /t?x=1 HTTP/1.1\r\nHost: echo-public\r\nweft-dst-port: 9001\r\nweft-src-workload: default/client\r\n\r\n", "POST /second HTTP/1.1\r\nHost: echo.default.svc:8080\r\nContent-Length: 2\r\nweft-dst-port: 9001\r\nweft-src-workload: default/client\r\n\r\n"],
            peer.Received.Select(r => r.Head));
        Assert.Equal(1, peer.Accepted); // one pooled connection to the peer for both
    }

    // The fast path takes an absolute-form request only when its Host line already is what Kestrel would make of the
    // target's authority (lower case, no default :80); the others go to the full path, which rewrites Host.
    [Theory]
    [InlineData("http://echo:8080/x", "echo:8080", true)]
    [InlineData("http://echo:8080/x", "other.example", false)]
    [InlineData("http://echo/x", "echo", true)]
    [InlineData("http://echo/x", "other.example", false)]
    [InlineData("http://echo:80/x", "echo:80", false)]
    [InlineData("http://ECHO:8080/x", "ECHO:8080", false)]
    public async Task The_fast_path_sends_the_peer_the_request_line_Host_and_weft_dst_port_the_full_path_sends(string url, string host, bool takenByTheFastPath)
    {
        var request = $"GET {url} HTTP/1.1\r\nHost: {host}\r\nweft-dst-port: 1234\r\n\r\n";
        await using var peer = OutboundPolicies.Peer();
        await using var fast = await StartAsync(peer, fastPath: true);
        await using var full = await StartAsync(peer, fastPath: false);

        var viaFast = await fast.ExchangeAsync(request);
        var viaFull = await full.ExchangeAsync(request);

        Assert.Equal(takenByTheFastPath, !viaFast.Has("Date"));
        Assert.True(viaFull.Has("Date"));
        var (fastSeen, fullSeen) = (peer.Received.First(), peer.Received.Last());
        Assert.Equal(fullSeen.RequestLine, fastSeen.RequestLine);
        Assert.Equal(fullSeen.Header("Host"), fastSeen.Header("Host"));
        Assert.Equal(fullSeen.Header("weft-dst-port"), fastSeen.Header("weft-dst-port"));
        Assert.Equal("default/client", fastSeen.Header("weft-src-workload"));
        Assert.Equal(fullSeen.Header("weft-src-workload"), fastSeen.Header("weft-src-workload"));
        Assert.Equal(viaFull.BodyText, viaFast.BodyText);
    }

    [Fact]
    public async Task A_request_sent_right_behind_CONNECT_is_answered_after_the_tunnel_s_200()
    {
        await using var peer = OutboundPolicies.Peer();
        await using var proxy = await StartAsync(peer);
        var answers = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Several clients at once: the race needs Kestrel's output loop to lag behind the relay's own socket sends.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = 0; i < 5; i++)
            {
                await using var client = await proxy.ConnectAsync();
                await client.SendAsync(OutboundProxy.Connect("echo:8080") + "GET /early HTTP/1.1\r\nHost: echo\r\n\r\n");
                answers.Enqueue((await OutboundProxy.ReadEstablishedAsync(client)).StatusLine);
            }
        }));

        Assert.All(answers, a => Assert.Equal("HTTP/1.1 200 Connection established", a));
    }

    [Theory]
    [InlineData("http://echo/x", "echo:80")]
    [InlineData("http://echo:80/x", "other.example")]
    [InlineData("http://ECHO:8080/x", "ECHO:8080")]
    public async Task The_Host_sent_is_the_one_Kestrel_s_AllowHostHeaderOverride_makes_even_for_default_ports_and_upper_case(string url, string host)
    {
        var request = $"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n";
        await using var peer = OutboundPolicies.Peer();
        await using var fast = await StartAsync(peer, fastPath: true);
        await using var full = await StartAsync(peer, fastPath: false);

        await fast.ExchangeAsync(request);
        await full.ExchangeAsync(request);

        var (fastSeen, fullSeen) = (peer.Received.First(), peer.Received.Last());
        Assert.Equal(fullSeen.Header("Host"), fastSeen.Header("Host"));
    }
}
