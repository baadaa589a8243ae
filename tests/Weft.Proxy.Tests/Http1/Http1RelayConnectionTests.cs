using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// Connections on both sides of the fast path: the client's stays open between requests unless either end asks to
/// close; app connections are pooled, and one the app closed while idle costs no request; the proxy's own answer when
/// the app gives none is 502.
/// </summary>
public sealed class Http1RelayConnectionTests
{
    [Fact]
    public async Task The_client_s_Connection_close_ends_its_connection_after_the_response()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("bye"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/", "Connection: close\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("bye", response.BodyText);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await client.ClosedByProxyAsync());
        Assert.False(Assert.Single(app.Received).Has("Connection"));
    }

    [Fact]
    public async Task The_app_s_Connection_close_ends_the_app_connection_but_not_the_client_s()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Text($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n{r.Number}", close: true));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var first = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var second = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", first.Head);
        Assert.Equal("1", first.BodyText);
        Assert.Equal("2", second.BodyText);
        Assert.Equal(2, app.Accepted);
    }

    [Fact]
    public async Task Keep_alive_requests_on_one_client_connection_share_one_app_connection()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(r.Number.ToString(CultureInfo.InvariantCulture)));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        for (var i = 1; i <= 5; i++)
        {
            await client.SendAsync(Sidecar.Get(app.Port, "/", "Connection: keep-alive\r\n"));
            var response = await client.ReadResponseAsync();
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), response.BodyText);
            Assert.False(response.Has("Connection"));
        }

        Assert.Equal(1, app.Accepted);
    }

    [Fact]
    public async Task When_the_app_closes_a_pooled_connection_the_request_is_resent_on_a_new_one()
    {
        // The app closes every connection after one response without saying Connection: close, so each next request
        // first goes out on a pooled connection that is already closed.
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} {System.Text.Encoding.Latin1.GetString(r.Body)}", close: true));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/one"));
        var one = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/two"));
        var two = await client.ReadResponseAsync();
        await client.SendAsync($"POST /three HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: 4\r\n\r\ndata");
        var three = await client.ReadResponseAsync();

        Assert.Equal("/one ", one.BodyText);
        Assert.Equal("/two ", two.BodyText);
        Assert.Equal("/three data", three.BodyText);
        Assert.Equal(["/one", "/two", "/three"], app.Received.Select(r => r.Target));
        Assert.Equal(3, app.Accepted);
    }

    [Fact]
    public async Task When_the_app_closes_pooled_connections_HttpClient_requests_still_succeed()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(r.Target, close: true));
        await using var sidecar = await Sidecar.StartAsync();
        using var client = new HttpClient();

        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{sidecar.Inbound}/r{i}");
            request.Headers.Add("weft-dst-port", app.PortText);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"/r{i}", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(5, app.Received.Count);
    }

    [Fact]
    public async Task Nothing_listening_on_weft_dst_port_is_a_502_saying_so_and_the_client_connection_carries_on()
    {
        var closed = Ports.Closed();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("alive"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(closed));
        var refused = await client.ReadResponseAsync();
        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {closed.ToString(CultureInfo.InvariantCulture)}\r\nContent-Length: 3\r\n\r\nabc");
        var refusedWithBody = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var next = await client.ReadResponseAsync();

        Assert.Equal(502, refused.Status);
        Assert.Contains("cannot connect", refused.BodyText, StringComparison.Ordinal);
        Assert.Equal(502, refusedWithBody.Status);
        Assert.Equal("alive", next.BodyText);
    }

    [Theory]
    [InlineData("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    public async Task A_malformed_or_unasked_for_response_head_from_the_app_is_502(string head)
    {
        await using var app = ScriptedApp.Start(r => r.Target == "/bad" ? ScriptedReply.Text(head) : ScriptedReply.Ok("good"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/bad"));
        var bad = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/good"));
        var good = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 502 Bad Gateway", bad.StatusLine);
        Assert.Equal("good", good.BodyText);
    }

    [Fact]
    public async Task A_bare_LF_in_the_app_s_status_line_is_502()
    {
        await using var app = ScriptedApp.Start(r => r.Target == "/bad" ? ScriptedReply.Text("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n") : ScriptedReply.Ok("good"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/bad"));
        var bad = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 502 Bad Gateway", bad.StatusLine);
    }

    [Fact]
    public async Task When_the_app_has_closed_a_pooled_connection_a_request_with_a_large_body_goes_on_a_new_one()
    {
        // A body over RelayExchange.MaxBody is streamed by the full path (SocketsHttpHandler's pool), which checks a pooled
        // connection for the app's close before it reuses one. The test waits for that close to reach the sidecar: if the
        // app closes at the very moment the request goes out (no Connection: close said, RFC 9112 9.6), the streamed
        // body has started on a dead connection and cannot be sent again; the client gets a 502, as it would from
        // nginx, Envoy or Linkerd (none resends a non-idempotent request it has begun to send without buffering it).
        var body = new string('b', 1 << 20);
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} {r.Body.Length}", close: true));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST /one HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var one = await client.ReadResponseAsync();
        await Eventually.TrueAsync(() => app.EstablishedToIt() == 0, "the app's close reaching the sidecar");
        await client.SendAsync($"POST /two HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var two = await client.ReadResponseAsync();

        Assert.Equal("/one 1048576", one.BodyText);
        Assert.Equal("/two 1048576", two.BodyText);
        Assert.Equal(2, app.Accepted);
    }

    [Fact]
    public async Task A_request_with_a_body_larger_than_the_fast_path_carries_is_answered_by_the_full_path()
    {
        var closed = Ports.Closed();
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        // Only the head: a body over RelayExchange.MaxBody goes to Kestrel and YARP, which answer 502 (nothing listens).
        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {closed.ToString(CultureInfo.InvariantCulture)}\r\nContent-Length: 1000000\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
        Assert.True(response.Has("Date")); // Kestrel's answer
        Assert.StartsWith($"weft: the app at port {closed.ToString(CultureInfo.InvariantCulture)}: cannot connect", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_with_a_small_body_is_502_and_the_connection_carries_on()
    {
        var closed = Ports.Closed();
        await using var app = ScriptedApp.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {closed.ToString(CultureInfo.InvariantCulture)}\r\nContent-Length: 5\r\n\r\nhello");
        var refused = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var next = await client.ReadResponseAsync();

        Assert.Equal(502, refused.Status);
        Assert.False(refused.Has("Date")); // the fast path's own answer
        Assert.Equal("ok", next.BodyText);
    }

    [Fact]
    public async Task A_response_streaming_longer_than_the_activity_timeout_is_not_cut_while_the_app_keeps_sending()
    {
        // The activity timeout (YARP's ActivityTimeout, 100 s; 2 s here) bounds silence, not the length of a response:
        // a slow stream that sends a chunk every 250 ms for 4 s must arrive whole. (With 1 s the app's own pacing, in a
        // test process just started on 2 cores, was once in three runs late enough to be a real silence.)
        var parts = new List<string> { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" };
        parts.AddRange(Enumerable.Range(0, 16).Select(i => $"1\r\n{i % 10}\r\n"));
        parts.Add("0\r\n\r\n");
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(false, [.. parts]) with { Pace = TimeSpan.FromMilliseconds(250) });
        await using var sidecar = await Sidecar.StartAsync(activity: TimeSpan.FromSeconds(2));
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync(within: TimeSpan.FromSeconds(30));

        Assert.Equal("0123456789012345", response.BodyText);
    }

    [Fact]
    public async Task An_app_silent_for_longer_than_the_activity_timeout_gets_the_client_a_504()
    {
        var release = new TaskCompletionSource();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(false, "HTTP/1.1 200 OK\r\n", "Content-Length: 0\r\n\r\n") with { HoldLastPart = release.Task });
        await using var sidecar = await Sidecar.StartAsync(activity: TimeSpan.FromMilliseconds(300));
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync(within: TimeSpan.FromSeconds(30));
        release.SetResult();

        Assert.Equal(504, response.Status);
    }

    [Fact]
    public async Task The_app_closing_without_a_response_is_502()
    {
        await using var app = ScriptedApp.Start(_ => new ScriptedReply([], Close: true));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
    }

    [Fact]
    public async Task The_app_closing_inside_a_Content_Length_body_ends_the_client_connection()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", close: true));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));

        await Assert.ThrowsAsync<IOException>(() => client.ReadResponseAsync());
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_response()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(r.Target + (r.Number % 3 == 0 ? new string('x', 20_000) : "")));
        await using var sidecar = await Sidecar.StartAsync();
        using var client = new HttpClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{sidecar.Inbound}/c{i}");
            request.Headers.Add("weft-dst-port", app.PortText);
            using var response = await client.SendAsync(request);
            return (i, (await response.Content.ReadAsStringAsync()).TrimEnd('x'));
        }));

        Assert.All(answers, a => Assert.Equal($"/c{a.i}", a.Item2));
    }
}
