using System.Collections.Concurrent;
using System.Net.Http;
using System.Net.Security;

namespace Weft.Proxy.Http2;

/// <summary>
/// Opens the transport of an HTTP/2 connection to <c>host:port</c>: a TCP connection (h2c, prior knowledge), or TLS on
/// it that agreed ALPN h2.
/// </summary>
internal delegate ValueTask<Stream> Http2Connect(string host, int port, CancellationToken ct);

/// <summary>
/// Sends requests that must be HTTP/2 (version 2.0, <see cref="HttpVersionPolicy.RequestVersionExact"/>: gRPC and h2c
/// hops) over Weft's own HTTP/2 connections (<see cref="Http2Connection"/>), pooled by authority, a new connection
/// whenever every open one has used the peer's MAX_CONCURRENT_STREAMS; anything else goes to the inner handler. Where
/// SocketsHttpHandler's HTTP/2 rents a 16 KB buffer for each request's headers until the connection's writer sends them
/// and a 16 KB block for each response's first bytes, a stream here holds only what it has received and not yet given
/// to its reader.
/// </summary>
internal sealed class Http2Handler : DelegatingHandler
{
    /// <summary>How long a connection may stay without a stream before it is closed.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a new connection's peer has to send its SETTINGS.</summary>
    public static readonly TimeSpan SettingsTimeout = TimeSpan.FromSeconds(10);

    private readonly Http2Connect _connect;
    private readonly TimeSpan _connectTimeout;
    private readonly ConcurrentDictionary<(string Host, int Port), Pool> _pools = new();
    private readonly Timer _sweep;
    private bool _disposed;
    private bool _sweeping;

    /// <param name="inner">Where every other request goes.</param>
    /// <param name="connect">Opens a connection's transport.</param>
    /// <param name="connectTimeout">How long <paramref name="connect"/> may take, TLS handshake included (the sidecar
    /// passes its pool's <see cref="SocketsHttpHandler.ConnectTimeout"/>): a peer that accepts and never answers would
    /// otherwise hold a pool's opening for good. None when not given.</param>
    public Http2Handler(HttpMessageHandler inner, Http2Connect connect, TimeSpan? connectTimeout = null)
        : base(inner)
    {
        _connect = connect;
        _connectTimeout = connectTimeout ?? Timeout.InfiniteTimeSpan;
        _sweep = new Timer(static state => ((Http2Handler)state!).Sweep(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// Whether <paramref name="request"/> goes over this handler's own HTTP/2 (else to the inner handler): an HTTP/2-only
    /// request to an address (the mesh's hops; a host name is the inner handler's to resolve), other than an extended
    /// CONNECT (RFC 8441: a WebSocket over HTTP/2, whose <c>:protocol</c> this client does not send).
    /// </summary>
    public static bool Handles(HttpRequestMessage request) =>
        request.Version.Major == 2 && request.VersionPolicy == HttpVersionPolicy.RequestVersionExact
        && request.Method != HttpMethod.Connect
        && request.RequestUri is { IsAbsoluteUri: true, HostNameType: UriHostNameType.IPv4 or UriHostNameType.IPv6 } uri
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Handles(request))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        var uri = request.RequestUri!;
        var pool = _pools.GetOrAdd((uri.IdnHost, uri.Port), static (key, self) => new Pool(self, key.Host, key.Port), this);
        for (var attempt = 1; ; attempt++)
        {
            var connection = await pool.AcquireAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (NotProcessedException e) when ((request.Content is null || !e.BodyStarted) && attempt < 3)
            {
                // Nothing of the request was processed (the peer refused the stream or went away below it, or the
                // connection closed before it was sent): again, on another connection, unless its body was being read.
            }
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        var any = false;
        foreach (var pool in _pools.Values)
        {
            any |= pool.Sweep(now);
        }

        lock (_pools)
        {
            // Checked again under the lock that StartSweeping takes, so a connection added meanwhile keeps the timer.
            if (!any && !_pools.Values.Any(p => p.HasConnections))
            {
                _sweeping = false;
                _sweep.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }

    private void StartSweeping()
    {
        lock (_pools)
        {
            if (_sweeping || _disposed)
            {
                return;
            }

            _sweeping = true;
            var period = IdleTimeout / 4;
            _sweep.Change(period, period);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            lock (_pools)
            {
                // Set before CloseAll takes each pool's lock: an opener that takes it later sees the flag and closes
                // what it opened itself (Pool.OpenAsync).
                _disposed = true;
            }

            _sweep.Dispose();
            foreach (var pool in _pools.Values)
            {
                pool.CloseAll();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>The connections to one authority.</summary>
    private sealed class Pool(Http2Handler handler, string host, int port)
    {
        private readonly List<Http2Connection> _connections = [];
        private Task<Http2Connection>? _opening;
        private Http2Connection? _starting; // under _connections: the one being opened, between its transport and its SETTINGS

        public bool HasConnections
        {
            get
            {
                lock (_connections)
                {
                    return _connections.Count > 0;
                }
            }
        }

        /// <summary>A connection with a stream slot taken for the caller: an open one with room, else a new one.</summary>
        public async ValueTask<Http2Connection> AcquireAsync(CancellationToken ct)
        {
            while (true)
            {
                Task<Http2Connection> opening;
                lock (_connections)
                {
                    for (var i = _connections.Count - 1; i >= 0; i--)
                    {
                        var connection = _connections[i];
                        if (connection.TryReserve())
                        {
                            return connection;
                        }

                        if (connection.IsRetired)
                        {
                            _connections.RemoveAt(i);
                        }
                    }

                    opening = _opening ??= OpenAsync();
                }

                var opened = await opening.WaitAsync(ct).ConfigureAwait(false);
                if (opened.TryReserve())
                {
                    return opened;
                }

                if (opened.ActiveStreams == 0 && !opened.IsRetired)
                {
                    // A new connection with room for no stream at all (SETTINGS_MAX_CONCURRENT_STREAMS 0): opening another
                    // would get the same answer, so the request fails rather than open connections in a loop.
                    throw new HttpRequestException(HttpRequestError.ConnectionError, $"{host}:{port} allows no HTTP/2 streams now (SETTINGS_MAX_CONCURRENT_STREAMS 0)");
                }
            }
        }

        private async Task<Http2Connection> OpenAsync()
        {
            await Task.Yield(); // the opener runs outside the pool's lock
            try
            {
                Stream stream;
                using (var timeout = new CancellationTokenSource(handler._connectTimeout))
                {
                    try
                    {
                        stream = await handler._connect(host, port, timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
                    {
                        throw new HttpRequestException(HttpRequestError.ConnectionError, $"cannot connect to {host}:{port}: no connection within {handler._connectTimeout.TotalSeconds:0.#} s", e);
                    }
                    catch (Exception e)
                    {
                        throw new HttpRequestException(HttpRequestError.ConnectionError, $"cannot connect to {host}:{port}: {e.Message}", e);
                    }
                }

                if (stream is SslStream tls && tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw new HttpRequestException(HttpRequestError.ConnectionError, $"{host}:{port} did not agree to HTTP/2 (ALPN '{tls.NegotiatedApplicationProtocol}')");
                }

                var connection = new Http2Connection(stream);
                if (!Keep(connection, starting: true))
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw new ObjectDisposedException(nameof(Http2Handler));
                }

                try
                {
                    await connection.StartAsync(SettingsTimeout).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    ObjectDisposedException.ThrowIf(handler._disposed, handler); // closed by CloseAll while it started
                    throw new HttpRequestException(HttpRequestError.ConnectionError, $"no HTTP/2 connection to {host}:{port}: {e.Message}", e);
                }

                if (!Keep(connection, starting: false))
                {
                    // The handler was disposed while this connection opened, after CloseAll had passed by: nothing else
                    // would ever close it.
                    connection.Close();
                    throw new ObjectDisposedException(nameof(Http2Handler));
                }

                handler.StartSweeping();
                return connection;
            }
            finally
            {
                lock (_connections)
                {
                    _opening = null;
                    _starting = null;
                }
            }
        }

        /// <summary>
        /// Makes <paramref name="connection"/> the one starting, or a pooled one once started, unless the handler is
        /// disposed: then false, and the caller closes it. Checked under the pool's lock, which Dispose's CloseAll takes
        /// after setting the flag, so every connection is either seen by CloseAll or sees the flag.
        /// </summary>
        private bool Keep(Http2Connection connection, bool starting)
        {
            lock (_connections)
            {
                if (handler._disposed)
                {
                    return false;
                }

                if (starting)
                {
                    _starting = connection;
                }
                else
                {
                    _starting = null;
                    _connections.Add(connection);
                }

                return true;
            }
        }

        /// <summary>Closes connections idle past the timeout; true while any is left.</summary>
        public bool Sweep(long now)
        {
            List<Http2Connection> idle = [];
            lock (_connections)
            {
                for (var i = _connections.Count - 1; i >= 0; i--)
                {
                    var connection = _connections[i];
                    var idleSince = connection.IdleSince;
                    if (connection.IsRetired || (idleSince is { } since && now - since >= (long)IdleTimeout.TotalMilliseconds))
                    {
                        // A retired connection with streams left closes itself after its last one.
                        _connections.RemoveAt(i);
                        if (idleSince is not null)
                        {
                            idle.Add(connection);
                        }
                    }
                }
            }

            foreach (var connection in idle)
            {
                connection.Close();
            }

            return HasConnections;
        }

        public void CloseAll()
        {
            Http2Connection[] all;
            lock (_connections)
            {
                // The one starting too: its StartAsync then fails, and its opener reports the handler disposed.
                all = _starting is null ? [.. _connections] : [.. _connections, _starting];
                _connections.Clear();
                _starting = null;
            }

            foreach (var connection in all)
            {
                connection.Close();
            }
        }
    }
}
