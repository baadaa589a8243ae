using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weft.Cli.Local.Dns;
using Weft.Proxy.External;
using Weft.Tests.Shared;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>The DNS server on 127.0.0.1 with an OS-assigned port, asked over UDP and TCP as a stub resolver asks.</summary>
public sealed class ClusterDnsServerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task A_UDP_query_is_answered_from_the_store()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot);
        var reply = await AskUdpAsync(server.EndPoint, DnsTestClient.Query(42, "cart.shop.svc.cluster.local"));
        Assert.Equal(42, reply.Id);
        Assert.True(reply.IsResponse && reply.Authoritative);
        Assert.Equal([IPAddress.Parse(CartInShop)], reply.Addresses);
    }

    [Fact]
    public async Task Answers_follow_the_store_as_it_changes()
    {
        var store = Store();
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, store.Snapshot);
        Assert.Equal(DnsWire.NameError, (await AskUdpAsync(server.EndPoint, DnsTestClient.Query(1, "new.shop.svc.cluster.local"))).ResponseCode);

        store.Replace("test", [.. Objects, NewService("shop", "new", "127.30.1.77")]);
        Assert.Equal([IPAddress.Parse("127.30.1.77")], (await AskUdpAsync(server.EndPoint, DnsTestClient.Query(2, "new.shop.svc.cluster.local"))).Addresses);

        store.Replace("test", Objects);
        Assert.Equal(DnsWire.NameError, (await AskUdpAsync(server.EndPoint, DnsTestClient.Query(3, "new.shop.svc.cluster.local"))).ResponseCode);
    }

    [Fact]
    public async Task A_TCP_connection_answers_one_query_after_another_and_pipelined_ones()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot);
        using var client = await ConnectAsync(server.EndPoint);
        await SendFramedAsync(client, DnsTestClient.Query(1, "cart.shop.svc.cluster.local"));
        Assert.Equal([IPAddress.Parse(CartInShop)], (await ReadFramedAsync(client))!.Addresses);

        await SendFramedAsync(client, DnsTestClient.Query(2, "cart.web.svc.cluster.local"), DnsTestClient.Query(3, "db.shop.svc.cluster.local"));
        var second = (await ReadFramedAsync(client))!;
        var third = (await ReadFramedAsync(client))!;
        Assert.Equal(2, second.Id);
        Assert.Equal(CartInWeb, string.Join(' ', second.Addresses));
        Assert.Equal(3, third.Id);
        Assert.Equal(DbReady, string.Join(' ', third.Addresses));
    }

    [Fact]
    public async Task An_answer_truncated_over_UDP_is_whole_over_TCP()
    {
        var store = Store(NewService("shop", "big", "None"),
            NewSlice("shop", "big", "big-a", [.. Enumerable.Range(1, 40).Select(i => ($"10.2.0.{i}", (bool?)true))]));
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, store.Snapshot);
        var query = DnsTestClient.Query(9, "big.shop.svc.cluster.local");
        Assert.True((await AskUdpAsync(server.EndPoint, query)).Truncated);

        using var client = await ConnectAsync(server.EndPoint);
        await SendFramedAsync(client, query);
        Assert.Equal(40, (await ReadFramedAsync(client))!.Addresses.Count);
    }

    [Fact]
    public async Task Garbage_datagrams_do_not_stop_the_UDP_loop()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(53);
        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[random.Next(0, 1500)];
            random.NextBytes(junk);
            await sender.SendToAsync(junk, SocketFlags.None, server.EndPoint);
        }

        Assert.Equal([IPAddress.Parse(CartInShop)], (await AskUdpAsync(server.EndPoint, DnsTestClient.Query(5, "cart.shop.svc.cluster.local"))).Addresses);
    }

    [Fact]
    public async Task A_TCP_connection_idle_longer_than_the_idle_timeout_is_closed()
    {
        // Long enough that a loaded machine answers the query first (at 200 ms a CI run once saw the connection closed
        // before the answer), short enough to wait out.
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot, tcpIdleTimeout: TimeSpan.FromSeconds(1));
        using var client = await ConnectAsync(server.EndPoint);
        await SendFramedAsync(client, DnsTestClient.Query(1, "cart.shop.svc.cluster.local"));
        Assert.NotNull(await ReadFramedAsync(client));
        Assert.True(await ClosedByServerAsync(client), "the server closed the idle connection");
    }

    [Fact]
    public async Task A_query_sent_a_byte_at_a_time_does_not_hold_a_connection_past_the_idle_timeout()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot, tcpIdleTimeout: TimeSpan.FromMilliseconds(300));
        using var client = await ConnectAsync(server.EndPoint);
        await client.SendAsync(new byte[] { 0x00, 0x40 });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var closed = false;
        while (!closed && started.Elapsed < Deadline)
        {
            try
            {
                await client.SendAsync(new byte[] { 0x00 });
                using var tick = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                closed = await client.ReceiveAsync(new byte[1], SocketFlags.None, tick.Token) == 0;
            }
            catch (OperationCanceledException)
            {
                // Nothing from the server yet: send the next byte.
            }
            catch (SocketException)
            {
                closed = true; // reset: the server had already closed
            }
        }

        Assert.True(closed, "the server closed the slow connection");
    }

    [Fact]
    public async Task A_TCP_query_longer_than_the_limit_closes_the_connection()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot);
        using var client = await ConnectAsync(server.EndPoint);
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, ClusterDnsServer.MaxTcpQueryLength + 1);
        await client.SendAsync(prefix);
        Assert.True(await ClosedByServerAsync(client), "the server closed the connection");
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_while_UDP_still_answers()
    {
        await using var server = ClusterDnsServer.Start(AnyLoopbackPort, Store().Snapshot);
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < ClusterDnsServer.MaxTcpConnections; i++)
            {
                var connection = await ConnectAsync(server.EndPoint);
                held.Add(connection);
                await SendFramedAsync(connection, DnsTestClient.Query((ushort)i, "cart.shop.svc.cluster.local"));
                Assert.NotNull(await ReadFramedAsync(connection)); // answered, so counted by the server
            }

            using (var extra = await ConnectAsync(server.EndPoint))
            {
                Assert.True(await ClosedByServerAsync(extra), "a connection beyond the limit is closed");
            }

            Assert.Equal([IPAddress.Parse(CartInShop)], (await AskUdpAsync(server.EndPoint, DnsTestClient.Query(7, "cart.shop.svc.cluster.local"))).Addresses);

            // A slot freed is a slot taken again, once the server has seen the close.
            held[0].Dispose();
            Assert.True(await UntilAsync(async () =>
            {
                using var next = await ConnectAsync(server.EndPoint);
                await SendFramedAsync(next, DnsTestClient.Query(8, "cart.shop.svc.cluster.local"));
                return await ReadFramedAsync(next) is not null;
            }), "a new connection is answered after one closed");
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_UDP_port_in_use_fails_with_a_clear_message()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(AnyLoopbackPort);
        var taken = (IPEndPoint)holder.LocalEndPoint!;
        var e = Assert.Throws<InvalidOperationException>(() => ClusterDnsServer.Start(taken, Store().Snapshot));
        Assert.Equal($"cannot serve DNS on {taken} (UDP): address in use", e.Message);
    }

    [Fact]
    public void A_TCP_port_in_use_fails_with_a_clear_message()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(AnyLoopbackPort);
        holder.Listen();
        var taken = (IPEndPoint)holder.LocalEndPoint!;
        var e = Assert.Throws<InvalidOperationException>(() => ClusterDnsServer.Start(taken, Store().Snapshot));
        Assert.Equal($"cannot serve DNS on {taken} (TCP): address in use", e.Message);
    }

    [Fact]
    public async Task Disposing_stops_answering_and_frees_the_port()
    {
        var server = LowPorts.Start(port => ClusterDnsServer.Start(new IPEndPoint(IPAddress.Loopback, port), Store().Snapshot)); // started again on its port
        using var idle = await ConnectAsync(server.EndPoint);
        var endpoint = server.EndPoint;
        await server.DisposeAsync();

        Assert.True(await ClosedByServerAsync(idle), "an open connection is closed");
        await using var again = ClusterDnsServer.Start(endpoint, Store().Snapshot);
        Assert.Equal(endpoint, again.EndPoint);
    }

    /// <summary>
    /// Asks as a stub resolver does: the query again after a second without an answer (a datagram may be dropped, for
    /// instance when a flood fills the server's receive queue), until the deadline.
    /// </summary>
    private static async Task<DnsReply> AskUdpAsync(IPEndPoint server, byte[] query)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        using var deadline = new CancellationTokenSource(Deadline);
        var buffer = new byte[ushort.MaxValue];
        while (true)
        {
            await socket.SendAsync(query, SocketFlags.None, deadline.Token);
            using var retry = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            retry.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, retry.Token);
                return DnsTestClient.Read(buffer.AsSpan(0, received));
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // No answer within a second: ask again.
            }
        }
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(Deadline);
        await socket.ConnectAsync(server, timeout.Token);
        return socket;
    }

    private static async Task SendFramedAsync(Socket socket, params byte[][] messages)
    {
        var framed = messages.SelectMany(m => new[] { (byte)(m.Length >> 8), (byte)m.Length }.Concat(m)).ToArray();
        await socket.SendAsync(framed);
    }

    /// <summary>The next length-prefixed response, or null when the server closes first.</summary>
    private static async Task<DnsReply?> ReadFramedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var prefix = new byte[2];
        if (!await ReadExactlyAsync(socket, prefix, timeout.Token))
        {
            return null;
        }

        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        return await ReadExactlyAsync(socket, message, timeout.Token) ? DnsTestClient.Read(message) : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        for (var read = 0; read < buffer.Length;)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            }
            catch (SocketException)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Whether the server ends the connection (FIN or reset) within the deadline, sending nothing first.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> UntilAsync(Func<Task<bool>> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < Deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }
}
