using System.Net.Sockets;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Tests.Shared;
using static Weft.Proxy.Tests.Admin.ListenerSocket;

namespace Weft.Proxy.Tests.Admin;

/// <summary>
/// Issue 15: a full listener sheds before it refuses. A new connection closes the oldest one that has not proved useful
/// (TLS handshake, protocol sniff, first request head), or else the oldest idle keep-alive one, and takes its place; only
/// a listener whose every connection is mid-request or a tunnel refuses. Real proxy, real sockets, a limit of 20.
/// </summary>
public sealed class ListenerSheddingTests
{
    private const int Limit = 20;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_full_listener_of_idle_connections_sheds_the_oldest_and_serves_a_normal_request(bool fastPath)
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("served"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = Limit, Http1FastPath = fastPath });
        var idle = await OpenIdleAsync(sidecar, Limit);

        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("served", response.BodyText);
        Assert.True(await ClosedAsync(idle[0], Within), "the oldest idle connection is shed");
        Assert.Equal(1, await sidecar.MetricAsync("weft_listener_shed_total{listener=\"inbound\"}"));
        Assert.Equal(0, await sidecar.MetricAsync("weft_listener_refused_total{listener=\"inbound\"}"));
        Assert.False(await ClosedAsync(idle[1], TimeSpan.FromMilliseconds(200)), "one shed per new connection: the next oldest stays");
        Assert.Single(sidecar.Logs.Lines, l => l.Contains("inbound listener is full (20 connections): its oldest connection", StringComparison.Ordinal));
        idle.ForEach(s => s.Dispose());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_listener_full_of_requests_in_flight_refuses_the_next_connection_and_sheds_none(bool fastPath)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = ScriptedApp.Start(_ => new ScriptedReply([[], "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nheld"u8.ToArray()]) { HoldLastPart = release.Task });
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = Limit, Http1FastPath = fastPath });
        var clients = new List<RawConnection>();
        try
        {
            for (var i = 0; i < Limit; i++)
            {
                var client = await RawConnection.OpenAsync(sidecar.Inbound);
                clients.Add(client);
                await client.SendAsync(Sidecar.Get(app.Port));
            }

            await Eventually.TrueAsync(() => app.HeadsRead == Limit, "every request reached the app, which holds its reply");

            using var refused = await ConnectAsync(sidecar.Inbound);
            Assert.True(await ClosedAsync(refused, Within), "nothing to shed: the new connection is closed at once");
            Assert.Equal(1, await sidecar.MetricAsync("weft_listener_refused_total{listener=\"inbound\"}"));
            Assert.Equal(0, await sidecar.MetricAsync("weft_listener_shed_total{listener=\"inbound\"}"));

            release.SetResult();
            foreach (var client in clients)
            {
                Assert.Equal("held", (await client.ReadResponseAsync()).BodyText);
            }
        }
        finally
        {
            release.TrySetResult();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_full_listener_sheds_an_idle_keep_alive_connection_only_when_no_fresh_one_is_left()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("served"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = Limit });
        var kept = new List<RawConnection>();
        for (var i = 0; i < Limit - 1; i++)
        {
            var client = await RawConnection.OpenAsync(sidecar.Inbound);
            kept.Add(client);
            await client.SendAsync(Sidecar.Get(app.Port));
            Assert.Equal(200, (await client.ReadResponseAsync()).Status); // served, kept alive, idle
        }

        using var fresh = await ConnectAsync(sidecar.Inbound); // the youngest, and the only one that never sent a request
        await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_connections{listener=\"inbound\"}"), v => v == Limit, "the listener full");

        await using var second = await RawConnection.OpenAsync(sidecar.Inbound);
        await second.SendAsync(Sidecar.Get(app.Port));
        Assert.Equal(200, (await second.ReadResponseAsync()).Status);
        Assert.True(await ClosedAsync(fresh, Within), "the connection that never sent a request goes first, young as it is");

        await using var third = await RawConnection.OpenAsync(sidecar.Inbound);
        await third.SendAsync(Sidecar.Get(app.Port));
        Assert.Equal(200, (await third.ReadResponseAsync()).Status);
        Assert.True(await kept[0].ClosedByProxyAsync(), "then the oldest idle keep-alive connection");
        Assert.Equal(2, await sidecar.MetricAsync("weft_listener_shed_total{listener=\"inbound\"}"));
        foreach (var client in kept)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_flood_of_partial_ClientHellos_on_inbound_is_shed_and_a_peer_still_gets_through()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("served"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = Limit, Identity = ca.Issue("server") });
        var flood = new List<Socket>();
        for (var i = 0; i < 2 * Limit; i++)
        {
            var socket = await ConnectAsync(sidecar.Inbound);
            flood.Add(socket);
            await socket.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 }); // a ClientHello's first 6 bytes, no more
        }

        await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_shed_total{listener=\"inbound\"}"), v => v == Limit, "the older half shed");
        await using var peer = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.Issue("client"));
        await peer.SendAsync(Sidecar.Get(app.Port));
        var response = await peer.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(0, await sidecar.MetricAsync("weft_listener_refused_total{listener=\"inbound\"}"));
        Assert.Equal(Limit + 1, await sidecar.MetricAsync("weft_listener_shed_total{listener=\"inbound\"}"));
        await Eventually.TrueAsync(() => flood.Count(IsClosed) == Limit + 1, "a partial handshake closed for each connection admitted past the limit");
        Assert.True(IsClosed(flood[0]), "the oldest first");
        await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_connections{listener=\"inbound\"}"), v => v <= Limit, "the shed connections gone, not only closed");
        Assert.InRange(sidecar.Logs.Lines.Count(l => l.Contains("listener is full", StringComparison.Ordinal)), 1, 3); // a line per interval, not per shed
        flood.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task An_established_CONNECT_tunnel_is_never_shed()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("tunnelled"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { MaxConnections = Limit });
        var target = $"127.0.0.1:{app.PortText}"; // loopback outside the mesh: an opaque tunnel to it
        var tunnels = new List<RawConnection>();
        try
        {
            for (var i = 0; i < Limit; i++)
            {
                var client = await RawConnection.OpenAsync(sidecar.Outbound);
                tunnels.Add(client);
                await client.SendAsync(OutboundProxy.Connect(target));
                Assert.Equal(200, (await OutboundProxy.ReadEstablishedAsync(client)).Status);
            }

            using var refused = await ConnectAsync(sidecar.Outbound);
            Assert.True(await ClosedAsync(refused, Within), "every connection is a tunnel: the new one is refused");
            Assert.Equal(0, await sidecar.MetricAsync("weft_listener_shed_total{listener=\"outbound\"}"));
            Assert.Equal(1, await sidecar.MetricAsync("weft_listener_refused_total{listener=\"outbound\"}"));

            await tunnels[0].SendAsync($"GET / HTTP/1.1\r\nHost: {target}\r\n\r\n");
            Assert.Equal("tunnelled", (await tunnels[0].ReadResponseAsync()).BodyText);
        }
        finally
        {
            foreach (var tunnel in tunnels)
            {
                await tunnel.DisposeAsync();
            }
        }
    }

    /// <summary>Opens <paramref name="count"/> silent connections to the inbound listener, each held before the next (accept order known).</summary>
    private static async Task<List<Socket>> OpenIdleAsync(Sidecar sidecar, int count)
    {
        var sockets = new List<Socket>();
        for (var i = 0; i < count; i++)
        {
            sockets.Add(await ConnectAsync(sidecar.Inbound));
            await Eventually.ValueAsync(() => sidecar.MetricAsync("weft_listener_connections{listener=\"inbound\"}"), v => v == sockets.Count, "the connection held");
        }

        return sockets;
    }

    /// <summary>Whether the peer has closed or reset the connection (it reads as readable with nothing to read).</summary>
    private static bool IsClosed(Socket socket) => socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
}
