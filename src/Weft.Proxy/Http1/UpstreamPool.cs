using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Weft.Proxy.Http1;

/// <summary>One keep-alive connection to the next hop, with its receive buffer.</summary>
internal sealed class Upstream : IDisposable
{
    /// <summary>The receive buffer's size; a response head that does not fit makes it grow, up to <see cref="MaxBufferSize"/>.</summary>
    public const int BufferSize = 8 * 1024;

    public const int MaxBufferSize = 64 * 1024;

    public Upstream(Socket socket, Stream stream, UpstreamKey key)
    {
        Socket = socket;
        Stream = stream;
        Key = key;
    }

    public Socket Socket { get; }

    /// <summary>The byte stream: the socket's <see cref="NetworkStream"/>, or TLS over it.</summary>
    public Stream Stream { get; }

    public UpstreamKey Key { get; }

    public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(BufferSize);

    /// <summary>Doubles the buffer, keeping its first <paramref name="filled"/> bytes; false at <see cref="MaxBufferSize"/>.</summary>
    public bool Grow(int filled)
    {
        if (Buffer.Length >= MaxBufferSize)
        {
            return false;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Buffer.Length * 2);
        Buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = larger;
        return true;
    }

    /// <summary>Whether it came from the pool (it may have been closed by the other end since).</summary>
    public bool Reused { get; set; }

    public long IdleSince { get; set; }

    public void Dispose()
    {
        Stream.Dispose();
        Socket.Dispose();
        ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// Idle keep-alive connections of the HTTP/1.1 fast path, per <see cref="UpstreamKey"/>: the app's port on this pod
/// (inbound), or an endpoint's sidecar with the identity it proved over mTLS, ALPN http/1.1 (outbound; a connection made
/// for one identity is never used for another). A connection idle for
/// more than a second is checked before reuse (an app may have closed it meanwhile: Node closes after 5 s); one idle for
/// longer than <see cref="MaxIdle"/> is closed, on reuse or by a sweep every <see cref="SweepEvery"/> (which also closes
/// the ones their other end closed, so none lingers in CLOSE_WAIT for a destination no longer used). The race left (the app closes just as a request goes out) is covered by
/// the relay, which resends a request it still holds on a fresh connection.
/// </summary>
internal sealed class UpstreamPool : IDisposable
{
    public const int MaxIdlePerKey = 256;
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(60);
    private static readonly long CheckAfter = Stopwatch.Frequency;

    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);

    private readonly Dictionary<UpstreamKey, Stack<Upstream>> _idle = [];
    private readonly Security.MeshTls? _tls;
    private readonly ITimer _sweep;
    private bool _disposed;

    public UpstreamPool(Security.MeshTls? tls = null, TimeProvider? time = null)
    {
        _tls = tls;
        _sweep = (time ?? TimeProvider.System).CreateTimer(static pool => ((UpstreamPool)pool!).Sweep(), this, SweepEvery, SweepEvery);
    }

    public Upstream? TryRent(UpstreamKey key)
    {
        var now = Stopwatch.GetTimestamp();
        while (true)
        {
            Upstream? upstream;
            lock (_idle)
            {
                if (!_idle.TryGetValue(key, out var stack) || !stack.TryPop(out upstream))
                {
                    return null;
                }
            }

            var idle = now - upstream.IdleSince;
            if (idle > CheckAfter && (Stopwatch.GetElapsedTime(upstream.IdleSince) > MaxIdle || IsClosed(upstream.Socket)))
            {
                upstream.Dispose();
                continue;
            }

            upstream.Reused = true;
            return upstream;
        }
    }

    public async ValueTask<Upstream> ConnectAsync(UpstreamKey key, CancellationToken ct)
    {
        var address = IPAddress.Parse(key.Address);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, key.Port), ct).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (key.Identity is { } identity)
            {
                if (_tls is null)
                {
                    throw new InvalidOperationException("an mTLS upstream without an identity of our own");
                }

                stream = await _tls.ConnectAsync(stream, identity, SslApplicationProtocol.Http11, socket.LocalEndPoint, socket.RemoteEndPoint, ct).ConfigureAwait(false);
            }

            return new Upstream(socket, stream, key);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Return(Upstream upstream)
    {
        upstream.IdleSince = Stopwatch.GetTimestamp();
        lock (_idle)
        {
            if (!_disposed)
            {
                if (!_idle.TryGetValue(upstream.Key, out var stack))
                {
                    _idle[upstream.Key] = stack = new Stack<Upstream>();
                }

                if (stack.Count < MaxIdlePerKey)
                {
                    stack.Push(upstream);
                    return;
                }
            }
        }

        upstream.Dispose();
    }

    public int IdleCount(UpstreamKey key)
    {
        lock (_idle)
        {
            return _idle.TryGetValue(key, out var stack) ? stack.Count : 0;
        }
    }

    /// <summary>Closes the idle connections that are past <see cref="MaxIdle"/> or closed by their other end.</summary>
    internal void Sweep()
    {
        List<Upstream>? stale = null;
        lock (_idle)
        {
            foreach (var stack in _idle.Values)
            {
                if (stack.Count == 0)
                {
                    continue;
                }

                var keep = stack.ToArray(); // top first
                stack.Clear();
                for (var i = keep.Length - 1; i >= 0; i--)
                {
                    if (Stopwatch.GetElapsedTime(keep[i].IdleSince) > MaxIdle || IsClosed(keep[i].Socket))
                    {
                        (stale ??= []).Add(keep[i]);
                    }
                    else
                    {
                        stack.Push(keep[i]);
                    }
                }
            }
        }

        foreach (var upstream in stale ?? [])
        {
            upstream.Dispose();
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        List<Upstream> all;
        lock (_idle)
        {
            _disposed = true;
            all = [.. _idle.Values.SelectMany(s => s)];
            _idle.Clear();
        }

        foreach (var upstream in all)
        {
            upstream.Dispose();
        }
    }

    /// <summary>An idle keep-alive connection is readable only if the other end closed it (or broke protocol).</summary>
    private static bool IsClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return true;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
