using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Local;

/// <summary>
/// The local mode's kube-proxy, so that a workload without a sidecar (<c>weft.dev/mesh: off</c>) can call Services by
/// ClusterIP (issue 4, DESIGN decision 6). It listens on every Service's <c>ClusterIP:port</c> (TCP) and forwards each
/// connection to one ready endpoint, round robin. In process isolation, to a pod with a sidecar through the sidecar's
/// inbound port (<c>podIP:15006</c>) in plaintext, opened with a PROXY v1 line whose destination port is the target port
/// (only a permissive sidecar accepts plaintext; a strict one closes the connection, which is the point of strict); to a
/// pod without a sidecar straight at <c>podIP:targetPort</c>. In network namespaces (no <c>sidecarInboundPort</c>), always
/// at <c>podIP:targetPort</c>, as kube-proxy's DNAT does: the pod's capture rules give the connection to its sidecar. Bytes are not inspected, so routes never apply here: a meshed
/// client's sidecar never connects to a ClusterIP (it resolves the Service through discovery), only sidecar-less
/// clients reach these listeners. The table follows the store (Services, EndpointSlices, Pods) on every change.
/// </summary>
/// <remarks>
/// Limitation of process isolation: nothing stops a sidecar-less process from connecting to <c>podIP:targetPort</c>
/// directly, bypassing both this proxy and the destination's sidecar (and so strict mTLS). Network namespaces close
/// that, as the Kubernetes init container's iptables rules do: there, every inbound connection is redirected to the
/// sidecar.
/// </remarks>
internal sealed class LocalKubeProxy : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly ObjectStore _store;
    private readonly Func<string?, bool> _isClusterIP;
    private readonly int? _sidecarInboundPort;
    private readonly TextWriter? _progress;
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, Listener> _listeners = [];
    private readonly HashSet<IPEndPoint> _unbindable = [];
    private readonly ConcurrentDictionary<IPEndPoint, StrongBox> _next = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private KubeProxyTable _table = KubeProxyTable.Empty;
    private long _nextConnection;
    private bool _disposed;

    public LocalKubeProxy(ObjectStore store, Func<string?, bool> isClusterIP, int? sidecarInboundPort, TextWriter? progress)
    {
        _store = store;
        _isClusterIP = isClusterIP;
        _sidecarInboundPort = sidecarInboundPort;
        _progress = progress;
    }

    /// <summary>The table in use (swapped whole on every change).</summary>
    public KubeProxyTable Table => Volatile.Read(ref _table);

    /// <summary>The frontends with a live listener.</summary>
    public IReadOnlyList<IPEndPoint> Listening
    {
        get
        {
            lock (_gate)
            {
                return [.. _listeners.Keys];
            }
        }
    }

    public void Start()
    {
        _store.Changed += OnStoreChanged;
        Reconcile();
    }

    public async ValueTask DisposeAsync()
    {
        List<Listener> listeners;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            listeners = [.. _listeners.Values];
            _listeners.Clear();
        }

        _store.Changed -= OnStoreChanged;
        await _stopping.CancelAsync();
        foreach (var listener in listeners)
        {
            listener.Socket.Dispose();
        }

        await Task.WhenAll(listeners.Select(l => l.Loop).Concat(_connections.Values));
        _stopping.Dispose();
    }

    private void OnStoreChanged(object? sender, EventArgs e)
    {
        try
        {
            Reconcile();
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException or FormatException)
        {
            _progress?.WriteLine($"kube-proxy: {ex.Message}");
        }
    }

    /// <summary>Builds the table from the store's current objects, then opens listeners for new frontends and closes gone ones.</summary>
    private void Reconcile()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var table = KubeProxyTable.Build(_store.Snapshot().Objects, _isClusterIP);
            Volatile.Write(ref _table, table);
            foreach (var (frontend, listener) in _listeners.ToList())
            {
                if (!table.Frontends.ContainsKey(frontend))
                {
                    _listeners.Remove(frontend);
                    listener.Socket.Dispose(); // ends its accept loop; connections already made run to their end
                }
            }

            foreach (var frontend in table.Frontends.Keys)
            {
                if (_listeners.ContainsKey(frontend) || _unbindable.Contains(frontend))
                {
                    continue;
                }

                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(frontend);
                    socket.Listen(512);
                }
                catch (SocketException e)
                {
                    // A privileged port without the capability, or an address in use: that Service is unreachable by ClusterIP
                    // for sidecar-less clients; say so once and carry on.
                    socket.Dispose();
                    _unbindable.Add(frontend);
                    _progress?.WriteLine($"kube-proxy: cannot listen on {frontend}: {e.Message}");
                    continue;
                }

                _listeners[frontend] = new Listener(socket, Task.Run(() => AcceptAsync(frontend, socket, _stopping.Token)));
            }

            _unbindable.IntersectWith(table.Frontends.Keys);
        }
    }

    private async Task AcceptAsync(IPEndPoint frontend, Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // the listener was closed (the Service or port went away, or shutdown)
            }

            var id = Interlocked.Increment(ref _nextConnection);
            _connections[id] = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(frontend, client, ct);
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeAsync(IPEndPoint frontend, Socket client, CancellationToken ct)
    {
        using (client)
        {
            var endpoints = Table.EndpointsOf(frontend);
            if (endpoints.Count == 0)
            {
                return; // no ready endpoint: close, as kube-proxy rejects
            }

            // Round robin from this frontend's counter; an endpoint that refuses the connection passes it to the next.
            var start = (int)((uint)Interlocked.Increment(ref _next.GetOrAdd(frontend, _ => new StrongBox()).Value) % (uint)endpoints.Count);
            for (var i = 0; i < endpoints.Count; i++)
            {
                var endpoint = endpoints[(start + i) % endpoints.Count];
                var upstream = await ConnectAsync(endpoint, ct);
                if (upstream is null)
                {
                    continue;
                }

                using (upstream)
                {
                    if (endpoint.Sidecar && _sidecarInboundPort is not null)
                    {
                        var header = ProxyLine((IPEndPoint)client.RemoteEndPoint!, endpoint);
                        try
                        {
                            await upstream.SendAsync(header, SocketFlags.None, ct);
                        }
                        catch (Exception e) when (e is SocketException or OperationCanceledException)
                        {
                            return;
                        }
                    }

                    await PumpAsync(client, upstream, ct);
                }

                return;
            }
        }
    }

    private async Task<Socket?> ConnectAsync(KubeProxyEndpoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(endpoint.Address, endpoint.Sidecar && _sidecarInboundPort is int inbound ? inbound : endpoint.TargetPort), timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>PROXY protocol v1: <c>PROXY TCP4 client podIP clientPort targetPort\r\n</c>; the sidecar uses the last field as the app port.</summary>
    internal static byte[] ProxyLine(IPEndPoint client, KubeProxyEndpoint endpoint) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"PROXY TCP4 {client.Address} {endpoint.Address} {client.Port} {endpoint.TargetPort}\r\n"));

    /// <summary>Bytes both ways; an end of stream is passed on as a half-close; an error or shutdown ends both directions.</summary>
    private static async Task PumpAsync(Socket a, Socket b, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAll(CopyAsync(a, b, failed), CopyAsync(b, a, failed));
    }

    private static async Task CopyAsync(Socket from, Socket to, CancellationTokenSource failed)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, failed.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, failed.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await failed.CancelAsync();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record Listener(Socket Socket, Task Loop);

    private sealed class StrongBox
    {
        public int Value;
    }
}
