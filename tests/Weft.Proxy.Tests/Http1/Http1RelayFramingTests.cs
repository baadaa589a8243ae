using System.Security.Cryptography;
using System.Text;
using Weft.Proxy.Http1;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The fast path relays the app's response bytes as they are, following their framing (RFC 9112 6.3) to find where
/// each response ends: Content-Length, chunked, until close, or no body at all.
/// </summary>
public sealed class Http1RelayFramingTests
{
    [Fact]
    public async Task A_chunked_response_reaches_the_client_intact_and_the_connection_carries_on()
    {
        const string Chunks = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
        await using var app = ScriptedApp.Start(r => r.Number == 1
            ? ScriptedReply.InParts(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n", "6;ext=1\r\n world\r\n", "0\r\nX-Trailer: t\r\n\r\n")
            : ScriptedReply.Ok("second"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/first"));
        var first = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/second"));
        var second = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", first.Head);
        Assert.Equal(Chunks, Encoding.Latin1.GetString(first.RawBody));
        Assert.Equal("hello world", first.BodyText);
        Assert.Equal(200, second.Status);
        Assert.Equal("second", second.BodyText);
        Assert.Equal(1, app.Accepted); // the app connection went back to the pool after the last chunk
    }

    [Fact]
    public async Task A_response_without_a_length_is_relayed_whole_with_Connection_close_and_the_client_connection_ends()
    {
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i % 10}"));
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(true, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", body[..7000], body[7000..]));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync(); // no length: read to the close, within the deadline

        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("text/plain", response.Header("Content-Type"));
        Assert.Equal(body, response.BodyText);
    }

    [Fact]
    public async Task HEAD_204_and_304_responses_without_a_body_do_not_hang()
    {
        await using var app = ScriptedApp.Start(r => r.Target switch
        {
            "/head" => ScriptedReply.Text("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n"),
            "/head-chunked" => ScriptedReply.Text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "/head-unframed" => ScriptedReply.Text("HTTP/1.1 200 OK\r\n\r\n"),
            "/no-content" => ScriptedReply.Text("HTTP/1.1 204 No Content\r\nX-App: 1\r\n\r\n"),
            "/not-modified" => ScriptedReply.Text("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 1000\r\n\r\n"),
            _ => ScriptedReply.Ok("after"),
        });
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"HEAD /head HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var head = await client.ReadResponseAsync(requestWasHead: true);
        await client.SendAsync($"HEAD /head-chunked HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var headChunked = await client.ReadResponseAsync(requestWasHead: true);
        await client.SendAsync($"HEAD /head-unframed HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var headUnframed = await client.ReadResponseAsync(requestWasHead: true);
        await client.SendAsync(Sidecar.Get(app.Port, "/no-content"));
        var noContent = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/not-modified"));
        var notModified = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/after"));
        var after = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n", head.Head);
        Assert.Equal("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", headChunked.Head);
        Assert.Equal("HTTP/1.1 200 OK\r\n\r\n", headUnframed.Head);
        Assert.Equal("HTTP/1.1 204 No Content\r\nX-App: 1\r\n\r\n", noContent.Head);
        Assert.Equal(304, notModified.Status);
        Assert.Equal("after", after.BodyText);
        Assert.Equal(1, app.Accepted);
    }

    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n")]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")]
    public async Task An_interim_response_before_the_final_one_is_passed_on(string interim)
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(false, interim, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var first = await client.ReadResponseAsync();
        var final = await client.ReadResponseAsync();

        Assert.Equal(interim, first.Head);
        Assert.Equal(200, final.Status);
        Assert.Equal("final", final.BodyText);
    }

    [Fact]
    public async Task An_interim_response_reaches_the_client_before_the_app_sends_the_final_one()
    {
        var final = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(false, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal") with
        {
            HoldLastPart = final.Task,
        });
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        RawResponse hints;
        try
        {
            hints = await client.ReadResponseAsync(); // while the app holds the final response back
        }
        finally
        {
            final.TrySetResult();
        }

        Assert.Equal(103, hints.Status);
        Assert.Equal("final", (await client.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public async Task Two_interim_responses_and_the_final_one_in_a_single_write_are_all_passed_on()
    {
        await using var app = ScriptedApp.Start(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.js>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));

        Assert.Equal(100, (await client.ReadResponseAsync()).Status);
        Assert.Equal("HTTP/1.1 103 Early Hints\r\nLink: </a.js>\r\n\r\n", (await client.ReadResponseAsync()).Head);
        Assert.Equal("ok", (await client.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public async Task Pipelined_requests_get_their_responses_in_order()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} {Encoding.Latin1.GetString(r.Body)}"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(
            Sidecar.Get(app.Port, "/one")
            + $"POST /two HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: 4\r\n\r\nbody"
            + Sidecar.Get(app.Port, "/three"));

        Assert.Equal("/one ", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal("/two body", (await client.ReadResponseAsync()).BodyText);
        Assert.Equal("/three ", (await client.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public async Task A_1_MB_request_body_and_a_1_MB_response_body_arrive_intact_through_the_full_path()
    {
        var sent = Pattern(1 << 20, seed: 7);
        var answer = Pattern(1 << 20, seed: 11);
        await using var app = ScriptedApp.Start(_ => new ScriptedReply(
            [Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {answer.Length}\r\n\r\n"), answer]));
        await using var sidecar = await Sidecar.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{sidecar.Inbound}/upload") { Content = new ByteArrayContent(sent) };
        request.Headers.Add("weft-dst-port", app.PortText);

        using var response = await client.SendAsync(request);
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.NotNull(response.Headers.Date); // a body over RelayExchange.MaxBody is streamed by the full path (Kestrel adds Date)
        Assert.Equal(SHA256.HashData(answer), SHA256.HashData(received));
        var seen = Assert.Single(app.Received);
        Assert.Equal(SHA256.HashData(sent), SHA256.HashData(seen.Body));
    }

    [Fact]
    public async Task A_1_MB_response_body_to_a_small_request_arrives_intact_through_the_fast_path()
    {
        var answer = Pattern(1 << 20, seed: 13);
        await using var app = ScriptedApp.Start(_ => new ScriptedReply(
            [Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {answer.Length}\r\n\r\n"), answer]));
        await using var sidecar = await Sidecar.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{sidecar.Inbound}/small") { Content = new ByteArrayContent(Pattern(1000, seed: 5)) };
        request.Headers.Add("weft-dst-port", app.PortText);

        using var response = await client.SendAsync(request);
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.Null(response.Headers.Date); // passed on as the app wrote it: the full path (Kestrel) would have added a Date
        Assert.Equal(SHA256.HashData(answer), SHA256.HashData(received));
    }

    [Fact]
    public async Task A_request_body_that_arrives_after_its_head_is_sent_with_it_once_whole()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("got " + Encoding.Latin1.GetString(r.Body)));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: 5\r\n\r\nhe");
        await client.SendAsync("llo");
        var response = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var next = await client.ReadResponseAsync();

        Assert.Equal("got hello", response.BodyText);
        Assert.Equal("got ", next.BodyText);
    }

    [Fact]
    public async Task Bytes_the_app_sends_beyond_its_Content_Length_are_not_relayed()
    {
        await using var app = ScriptedApp.Start(r => r.Number == 1
            ? ScriptedReply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Smuggled\r\nContent-Length: 0\r\n\r\n")
            : ScriptedReply.Ok("second"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var first = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var second = await client.ReadResponseAsync();

        Assert.Equal("ok", first.BodyText);
        Assert.Equal("second", second.BodyText);
        Assert.Equal(2, app.Accepted); // the connection with stray bytes on it was not reused
    }

    [Fact]
    public async Task A_response_head_larger_than_the_first_receive_buffer_is_relayed()
    {
        var big = new string('v', 40_000);
        await using var app = ScriptedApp.Start($"HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal(big, response.Header("X-Big"));
        Assert.Equal("ok", response.BodyText);
    }

    [Fact]
    public async Task A_response_head_over_64_KiB_is_502()
    {
        await using var app = ScriptedApp.Start($"HTTP/1.1 200 OK\r\nX-Big: {new string('v', 70_000)}\r\nContent-Length: 2\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
    }

    [Fact]
    public async Task A_request_head_larger_than_the_send_buffer_reaches_the_app_intact()
    {
        var big = new string('r', 12_000);
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(r.Header("X-Big") == big ? "intact" : "damaged"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/", $"X-Big: {big}\r\n"));
        var response = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/", "X-Small: 1\r\n"));
        var next = await client.ReadResponseAsync();

        Assert.False(response.Has("Date"));
        Assert.Equal("intact", response.BodyText);
        Assert.Equal("damaged", next.BodyText); // no X-Big: the next head was not mixed with the previous one
    }

    [Fact]
    public async Task Each_request_on_a_connection_is_sent_whole_whatever_the_size_of_the_one_before()
    {
        // The send buffer is rented per request at that request's size: a small one, then the largest the fast path
        // carries (a head near MaxHead and a MaxBody body), then a small one again.
        var head = new string('h', 15_000);
        var body = Pattern(RelayExchange.MaxBody, seed: 7);
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(
            r.Target == "/large" ? (r.Header("X-Big") == head && r.Body.AsSpan().SequenceEqual(body) ? "intact" : "damaged") : r.Target));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/small"));
        var first = await client.ReadResponseAsync();
        await client.SendAsync([.. Encoding.ASCII.GetBytes(
            $"POST /large HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nX-Big: {head}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body]);
        var large = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/small-again"));
        var last = await client.ReadResponseAsync();

        Assert.Equal("/small", first.BodyText);
        Assert.False(large.Has("Date")); // the fast path carried it, not Kestrel
        Assert.Equal("intact", large.BodyText);
        Assert.Equal("/small-again", last.BodyText);
        Assert.Equal(1, app.Accepted);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
