using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Tests.Shared;
using static Weft.Proxy.Tests.Admin.ListenerSocket;

namespace Weft.Proxy.Tests.Admin;

/// <summary>
/// Issue 15's bounds on a sidecar, against a real proxy over real sockets: a connection limit per listener, deadlines
/// for the TLS handshake, the request head (in all, from its first byte) and idle keep-alive, readiness that notices a
/// listener which stopped accepting, and at most a line per interval about refused connections.
/// </summary>
public sealed class ListenerBoundsTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_full_listener_with_nothing_to_shed_closes_one_more_connection_at_once_counts_it_and_logs_one_line()
    {
        // Both connections mid-request (the app holds its reply): nothing can be shed (ListenerSheddingTests), so the listener refuses.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = ScriptedApp.Start(_ => new ScriptedReply([[], "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray()]) { HoldLastPart = release.Task });
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = 2 });
        await using var first = await RawConnection.OpenAsync(sidecar.Inbound);
        await using var second = await RawConnection.OpenAsync(sidecar.Inbound);
        await first.SendAsync(Sidecar.Get(app.Port));
        await second.SendAsync(Sidecar.Get(app.Port));
        await Eventually.TrueAsync(() => app.HeadsRead == 2, "two requests in flight");

        var refused = new List<Socket>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var socket = await ConnectAsync(sidecar.Inbound);
            refused.Add(socket);
            Assert.True(await ClosedAsync(socket, TimeSpan.FromSeconds(5)), "a connection over the limit is closed at once");
        }

        Assert.Equal(5, await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_refused_total{listener=\"inbound\"}"), v => v == 5, "refusals counted"));
        // One line per interval, not one per refusal: five refusals within an interval log one; a loaded machine may
        // spread them over more.
        var lines = sidecar.Logs.Lines.Count(l => l.Contains("inbound listener is full (2 connections)", StringComparison.Ordinal));
        Assert.InRange(lines, 1, Math.Min(4, 1 + (int)(clock.Elapsed / Weft.Proxy.ProxyLog.RefusalInterval)));
        refused.ForEach(s => s.Dispose());
        release.SetResult();
        Assert.Equal(200, (await first.ReadResponseAsync()).Status); // the connections let in are untouched

        // A place frees up: the next connection is served.
        await first.DisposeAsync();
        await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_connections{listener=\"inbound\"}"), v => v == 1, "one connection left");
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        await client.SendAsync(Sidecar.Get(Ports.Closed()));
        Assert.Equal(502, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task A_silent_peer_or_a_trickled_partial_ClientHello_is_closed_when_the_handshake_time_from_accept_is_up()
    {
        using var ca = new OutboundMeshCa();
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            Identity = ca.Issue("server"),
            TlsHandshakeTimeout = TimeSpan.FromSeconds(1),
        });

        // Nothing at all: the protocol sniffer holds it no longer than a handshake may take.
        using var silent = await ConnectAsync(sidecar.Inbound);
        var clock = Stopwatch.StartNew();
        Assert.True(await ClosedAsync(silent, Within), "a silent peer is closed");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(3));

        // A ClientHello's first 6 bytes, one every 300 ms: the handshake time counts from the accept, bytes do not restart it.
        using var trickle = await ConnectAsync(sidecar.Inbound);
        clock.Restart();
        var closed = ClosedAsync(trickle, Within);
        foreach (var b in new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 })
        {
            try
            {
                await trickle.SendAsync(new[] { b });
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(closed, Task.Delay(300));
        }

        Assert.True(await closed, "a partial ClientHello is closed");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_trickled_request_head_gets_408_when_the_head_time_from_its_first_byte_is_up_on_both_paths(bool fastPath)
    {
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            Http1FastPath = fastPath,
            RequestHeadTimeout = TimeSpan.FromSeconds(1),
        });
        using var socket = await ConnectAsync(sidecar.Inbound);
        var clock = Stopwatch.StartNew();

        var received = await TrickleHeadAsync(socket, silentFor: TimeSpan.Zero);

        Assert.StartsWith("HTTP/1.1 408 ", received, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(4)); // Kestrel checks once a second
    }

    [Fact]
    public async Task On_the_fast_path_a_request_head_s_time_counts_from_the_accept_not_from_its_first_byte()
    {
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            Http1FastPath = true,
            RequestHeadTimeout = TimeSpan.FromSeconds(3),
        });
        using var socket = await ConnectAsync(sidecar.Inbound);
        var clock = Stopwatch.StartNew();

        // A client silent for most of the head's time, then trickling.
        var received = await TrickleHeadAsync(socket, silentFor: TimeSpan.FromMilliseconds(2400));

        Assert.StartsWith("HTTP/1.1 408 ", received, StringComparison.Ordinal);
        // 3 s from the accept, and up to a resolution (0.75 s) late; from the first byte it would be 5.4 s or more.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.8), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_idle_keep_alive_connection_is_closed_when_the_keep_alive_time_is_up_on_both_paths(bool fastPath)
    {
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            Http1FastPath = fastPath,
            KeepAliveTimeout = TimeSpan.FromSeconds(1),
        });
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        await client.SendAsync(Sidecar.Get(Ports.Closed())); // no app there: the proxy's 502, and the connection kept
        var response = await client.ReadResponseAsync();
        Assert.Equal(502, response.Status);
        Assert.NotEqual("close", response.Header("Connection"));

        var clock = Stopwatch.StartNew();
        Assert.True(await client.ClosedByProxyAsync(), "the idle connection is closed");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Readiness_and_liveness_turn_false_when_a_listener_stops_accepting()
    {
        await using var sidecar = await Sidecar.StartAsync(options => options);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{sidecar.Proxy.AdminEndpoint}") };
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/live", UriKind.Relative))).StatusCode);

        // The outbound listener's socket goes away under Kestrel: its accept loop ends, as when it fails for good.
        sidecar.Proxy.ListenSockets.Single(s => sidecar.Outbound.Equals(s.LocalEndPoint)).Dispose();

        var ready = await admin.GetAsync(new Uri("/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("outbound listener is not accepting", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync(new Uri("/live", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_flood_of_refused_plaintext_connections_writes_a_line_per_interval_not_one_each()
    {
        using var ca = new OutboundMeshCa();
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server") });
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 40; i++)
        {
            using var socket = await ConnectAsync(sidecar.Inbound);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            Assert.True(await ClosedAsync(socket, Within), "strict mTLS closes plaintext");
        }

        var lines = sidecar.Logs.Lines.Count(l => l.Contains("Plaintext connection from", StringComparison.Ordinal));
        Assert.InRange(lines, 1, 1 + (int)(clock.Elapsed / Weft.Proxy.ProxyLog.RefusalInterval));
        Assert.True(lines < 40);
    }

    /// <summary>
    /// After <paramref name="silentFor"/>, a request head's first 20 bytes ("GET / HTTP/1.1\r\nHost"), then a byte every
    /// 100 ms until the proxy closes the connection (never the whole head); returns what the proxy sent.
    /// </summary>
    private static async Task<string> TrickleHeadAsync(Socket socket, TimeSpan silentFor)
    {
        var head = Encoding.ASCII.GetBytes(Sidecar.Get(Ports.Closed(), "/", "X-Slow: " + new string('a', 200) + "\r\n"));
        var received = new StringBuilder();
        var reading = ReadAllAsync(socket, received);
        if (silentFor > TimeSpan.Zero)
        {
            await Task.Delay(silentFor);
        }

        await socket.SendAsync(head.AsMemory(0, 20));
        for (var i = 20; i < head.Length - 4 && !reading.IsCompleted; i++)
        {
            try
            {
                await socket.SendAsync(head.AsMemory(i, 1));
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(reading, Task.Delay(100));
        }

        Assert.True(await reading.WaitAsync(Within), "the connection is closed");
        return received.ToString();
    }

    /// <summary>Reads until the peer closes; true when it did.</summary>
    private static async Task<bool> ReadAllAsync(Socket socket, StringBuilder into)
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer)) > 0)
            {
                into.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (SocketException)
        {
        }

        return true;
    }
}
