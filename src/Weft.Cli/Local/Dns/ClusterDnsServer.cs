using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Weft.ControlPlane.Objects;
using Weft.Proxy.External;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// The local cluster's DNS server: answers for the cluster's names (<see cref="DnsMessage"/> over
/// <see cref="ClusterDnsNames"/>, rebuilt whenever the store's snapshot changes, so answers follow the store) over UDP and
/// TCP on one address and port; in <c>weft up</c>, the pod bridge's gateway, port 53, which the pods' resolv.conf names.
/// <para>
/// UDP: one socket, one receive loop, one buffer each way. An answer is a table lookup, so one loop keeps up, and no
/// packet allocates. TCP, which resolvers fall back to after a truncated answer (RFC 7766): at most
/// <see cref="MaxTcpConnections"/> connections at once (more are closed at once), queries answered one after another, a
/// query of at most <see cref="MaxTcpQueryLength"/> bytes, and a connection closed when one query and its answer take longer
/// than the idle timeout. A local process holding connections or sending slowly can so hold TCP slots for that long at
/// most, and never holds up UDP.
/// </para>
/// </summary>
internal sealed class ClusterDnsServer : IAsyncDisposable
{
    public const int MaxTcpConnections = 64;

    /// <summary>Far above a real query (a name, its question and an OPT record with a cookie take under 600 bytes).</summary>
    public const int MaxTcpQueryLength = 4096;

    public static readonly TimeSpan DefaultTcpIdleTimeout = TimeSpan.FromSeconds(10);

    private const int MaxUdpDatagram = ushort.MaxValue;

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly Func<StoreSnapshot> _snapshot;
    private readonly TextWriter? _progress;
    private readonly TimeSpan _tcpIdleTimeout;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? _hosts;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _udpLoop;
    private readonly Task _acceptLoop;
    private NamesOfSnapshot _names = new(null, ClusterDnsNames.Empty);
    private int _tcpConnectionCount;
    private long _nextConnection;
    private int _disposed;

    private ClusterDnsServer(Socket udp, Socket tcp, Func<StoreSnapshot> snapshot, TextWriter? progress, TimeSpan tcpIdleTimeout, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? hosts)
    {
        _hosts = hosts;
        _udp = udp;
        _tcp = tcp;
        _snapshot = snapshot;
        _progress = progress;
        _tcpIdleTimeout = tcpIdleTimeout;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = Task.Run(() => ServeUdpAsync(_stopping.Token));
        _acceptLoop = Task.Run(() => AcceptAsync(_stopping.Token));
    }

    /// <summary>Where it answers, UDP and TCP alike (with the port the OS chose when asked for port 0).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The names it answers for now.</summary>
    public ClusterDnsNames Names => CurrentNames();

    /// <summary>
    /// Binds <paramref name="endpoint"/> for UDP and TCP and starts answering from <paramref name="snapshot"/> (for instance
    /// <c>store.Snapshot</c>), read on every query. Throws <see cref="InvalidOperationException"/> saying why when either
    /// cannot be bound.
    /// </summary>
    /// <param name="endpoint">The address and port to bind (port 0: one the OS picks).</param>
    /// <param name="snapshot">The store's current state, read on every query.</param>
    /// <param name="progress">Where to say that a socket failed for good; queries themselves are not logged.</param>
    /// <param name="tcpIdleTimeout">How long a TCP connection may wait for its next query; null: the default.</param>
    /// <param name="hosts">Names outside the cluster it answers too (<c>weft-hosts.yaml</c>), as a cluster's DNS would resolve an external host.</param>
    public static ClusterDnsServer Start(IPEndPoint endpoint, Func<StoreSnapshot> snapshot, TextWriter? progress = null, TimeSpan? tcpIdleTimeout = null,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? hosts = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(snapshot);
        var idle = tcpIdleTimeout ?? DefaultTcpIdleTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idle, TimeSpan.Zero);

        // With port 0 the OS picks UDP's port, which TCP then needs too; another process may hold it for TCP, so try again.
        for (var attempt = 1; ; attempt++)
        {
            var udp = Bind(endpoint, ProtocolType.Udp);
            try
            {
                var tcp = Bind((IPEndPoint)udp.LocalEndPoint!, ProtocolType.Tcp);
                return new ClusterDnsServer(udp, tcp, snapshot, progress, idle, hosts);
            }
            catch (InvalidOperationException) when (endpoint.Port == 0 && attempt < 8)
            {
                udp.Dispose();
            }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _acceptLoop);
        await Task.WhenAll(_connections.Values);
        _stopping.Dispose();
    }

    private static Socket Bind(IPEndPoint endpoint, ProtocolType protocol)
    {
        var socket = protocol == ProtocolType.Udp
            ? new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (protocol == ProtocolType.Tcp)
            {
                // A restarted server binds while its predecessor's connections are in TIME_WAIT; two listeners still cannot share.
                // (Not for UDP, where it would let two servers share the port and split the queries.)
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(endpoint);
                socket.Listen(MaxTcpConnections);
            }
            else
            {
                socket.Bind(endpoint);
            }

            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var reason = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "address in use",
                SocketError.AddressNotAvailable => "no interface has that address",
                SocketError.AccessDenied => "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)",
                _ => e.Message,
            };
            throw new InvalidOperationException($"cannot serve DNS on {endpoint} ({(protocol == ProtocolType.Udp ? "UDP" : "TCP")}): {reason}", e);
        }
    }

    /// <summary>The names of the store's current snapshot, built once per snapshot.</summary>
    private ClusterDnsNames CurrentNames()
    {
        var snapshot = _snapshot();
        var known = Volatile.Read(ref _names);
        if (!ReferenceEquals(known.Snapshot, snapshot))
        {
            // Two queries racing here both build; either result is right.
            known = new NamesOfSnapshot(snapshot, ClusterDnsNames.From(snapshot, _hosts));
            Volatile.Write(ref _names, known);
        }

        return known.Names;
    }

    private async Task ServeUdpAsync(CancellationToken stopping)
    {
        var query = GC.AllocateUninitializedArray<byte>(MaxUdpDatagram);
        var response = GC.AllocateUninitializedArray<byte>(DnsWire.MaxEdnsUdpLength);
        var client = new SocketAddress(_udp.AddressFamily);
        while (true)
        {
            int received;
            try
            {
                received = await _udp.ReceiveFromAsync(query, SocketFlags.None, client, stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused
                or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize)
            {
                continue; // an ICMP error about an earlier answer, or one oversized datagram: about one client, not the socket
            }
            catch (SocketException e)
            {
                _progress?.WriteLine($"dns: no longer answering on {EndPoint} over UDP: {e.Message}");
                return;
            }

            var length = DnsMessage.Respond(query.AsSpan(0, received), response, CurrentNames(), DnsTransport.Udp);
            if (length == 0)
            {
                continue;
            }

            try
            {
                await _udp.SendToAsync(response.AsMemory(0, length), SocketFlags.None, client, stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // The client cannot be reached; the answer is lost as a datagram may be, and it will ask again.
            }
        }
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _tcp.AcceptAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client left before it was accepted
            }
            catch (SocketException e)
            {
                _progress?.WriteLine($"dns: no longer answering on {EndPoint} over TCP: {e.Message}");
                return;
            }

            if (Interlocked.Increment(ref _tcpConnectionCount) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpConnectionCount);
                client.Dispose(); // the resolver gets a closed connection and tries its next server or gives up
                continue;
            }

            // Served on the thread pool, so a client whose queries are already buffered never holds up this loop; registered
            // before its removal is, so that a connection ending at once leaves no entry behind.
            var id = ++_nextConnection;
            var connection = Task.Run(() => ServeTcpAsync(client, stopping), CancellationToken.None);
            _connections[id] = connection;
            _ = connection.ContinueWith(_ => _connections.TryRemove(id, out var _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>RFC 7766 8: 2-byte length, message; one query after another until the client closes or is idle too long.</summary>
    private async Task ServeTcpAsync(Socket client, CancellationToken stopping)
    {
        var query = ArrayPool<byte>.Shared.Rent(MaxTcpQueryLength);
        var response = ArrayPool<byte>.Shared.Rent(1 << 16);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            client.NoDelay = true;
            while (true)
            {
                // The deadline covers one whole exchange, so sending a query a byte at a time does not keep a connection.
                deadline.CancelAfter(_tcpIdleTimeout);
                if (!await ReceiveExactlyAsync(client, query.AsMemory(0, 2), deadline.Token))
                {
                    return;
                }

                var length = BinaryPrimitives.ReadUInt16BigEndian(query);
                if (length > MaxTcpQueryLength || !await ReceiveExactlyAsync(client, query.AsMemory(0, length), deadline.Token))
                {
                    return;
                }

                var answerLength = DnsMessage.Respond(query.AsSpan(0, length), response.AsSpan(2, (1 << 16) - 2), CurrentNames(), DnsTransport.Tcp);
                if (answerLength == 0)
                {
                    return; // a message that gets no answer: RFC 7766 lets the server close
                }

                BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)answerLength);
                await client.SendAsync(response.AsMemory(0, 2 + answerLength), SocketFlags.None, deadline.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Idle too long, reset by the client, or shutting down: the connection ends either way.
        }
        finally
        {
            client.Dispose();
            ArrayPool<byte>.Shared.Return(query);
            ArrayPool<byte>.Shared.Return(response);
            Interlocked.Decrement(ref _tcpConnectionCount);
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the client closes first.</summary>
    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private sealed record NamesOfSnapshot(StoreSnapshot? Snapshot, ClusterDnsNames Names);
}
