using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Admin;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Http1;

/// <summary>
/// The inbound HTTP/1.1 fast path: a loop over a client connection's requests, below Kestrel's HTTP layer and YARP.
/// Each request head is parsed strictly (<see cref="RequestHead"/>); a simple one (HTTP/1.1, no body or a Content-Length
/// one of at most <see cref="RelayExchange.MaxBody"/>, no upgrade) that its route takes is forwarded byte for byte, minus its hop-by-hop
/// headers (<see cref="Forwarding.Hop"/>), over a pooled keep-alive connection to the app, and the response comes back the same way, its framing
/// followed (Content-Length, chunked, or until close) but its bytes not re-encoded. The first request that is not simple
/// hands the connection, with that request still unread, to Kestrel and the regular <see cref="Inbound.InboundHandler"/>
/// for the rest of its life, so every feature and every error answer stays where it was.
/// </summary>
/// <remarks>
/// Why: per request Kestrel + YARP cost ~13 µs of user CPU and four <c>recv</c> calls (two of them zero-byte "wait for
/// data" reads), where nginx spends ~15 µs in all (bench/RESULTS.md). Here one request is one read from the client pipe,
/// one write and one read upstream, and one flush back: no HttpContext, no HttpRequestMessage, no header dictionaries,
/// and no allocation per request (buffers per connection, pooled async state machines).
/// </remarks>
internal sealed class Http1Relay(UpstreamPool pool, Http1Route route, ILogger logger, TimeProvider time, CancellationToken stopping, TimeSpan? activity = null,
    TimeSpan? keepAlive = null, TimeSpan? headTimeout = null)
{
    public const int MaxHead = 16 * 1024;

    /// <summary>Kestrel's default keep-alive timeout: how long a client connection may idle between requests.</summary>
    public static readonly TimeSpan DefaultKeepAlive = TimeSpan.FromSeconds(130);

    /// <summary>
    /// Kestrel's default request-headers timeout: how long a request head may take from its first byte to its end, in all
    /// (a client trickling a byte at a time does not restart it). Past it the client gets 408 and the connection ends.
    /// </summary>
    public static readonly TimeSpan DefaultHeadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the app may stay silent while a request waits for (or streams) its response: YARP's ActivityTimeout.</summary>
    public static readonly TimeSpan DefaultActivity = TimeSpan.FromSeconds(100);

    private readonly TimeSpan _activity = activity ?? DefaultActivity;
    private readonly Deadlines _deadlines = new(activity ?? DefaultActivity, keepAlive ?? DefaultKeepAlive, headTimeout ?? DefaultHeadTimeout);
    private readonly DeadlineSpan _activitySpan = DeadlineSpan.From(activity ?? DefaultActivity);
    private readonly DeadlineSpan _keepAliveSpan = DeadlineSpan.From(keepAlive ?? DefaultKeepAlive);
    private readonly DeadlineSpan _headSpan = DeadlineSpan.From(headTimeout ?? DefaultHeadTimeout);

    private static ReadOnlySpan<byte> Http11 => "HTTP/1.1 "u8;

    private static ReadOnlySpan<byte> ConnectionClose => "Connection: close\r\n"u8;

    /// <summary>
    /// A listener's HTTP: HTTP/1.1 through <paramref name="relay"/> when the fast path is on (it hands Kestrel whatever it
    /// does not forward itself), anything else straight to Kestrel (<paramref name="next"/>).
    /// </summary>
    public static Task ServeAsync(Http1Relay? relay, ConnectionContext connection, ConnectionDelegate next, bool http1, bool plaintext) =>
        http1 && relay is not null ? relay.ServeAsync(connection, next, plaintext) : next(connection);

    /// <summary>
    /// Serves the connection's HTTP/1.1 requests; returns when it ends, or after handing it to <paramref name="next"/>.
    /// <paramref name="plaintext"/>: the transport is the client's socket itself (not TLS), so responses go straight to it.
    /// </summary>
    public async Task ServeAsync(ConnectionContext connection, ConnectionDelegate next, bool plaintext)
    {
        var exchange = new RelayExchange();
        using ClientWriter output = plaintext && connection.Features.Get<IConnectionSocketFeature>() is { } socket
            ? new SocketClientWriter(socket.Socket)
            : new PipeClientWriter(connection.Transport.Output);
        var handOff = false;
        var progress = connection.Features.Get<ConnectionProgress>();
        try
        {
            // abort ends the connection (the client went, or a timeout: keep-alive while idle, activity in an
            // exchange); shutdown only stops waiting for another request: the exchange in flight completes (graceful
            // stop, as Kestrel does for its own requests until the host's shutdown timeout aborts the connection).
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            using var deadline = _deadlines.Watch(abort);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(abort.Token, stopping);
            var input = connection.Transport.Input;
            // Between requests the keep-alive time runs; from a head's first byte the head time, once, to its end.
            var headStarted = false;
            var firstRead = true;
            while (true)
            {
                if (!headStarted)
                {
                    deadline.After(_keepAliveSpan);
                }

                ReadResult result;
                try
                {
                    result = await input.ReadAsync(idle.Token);
                }
                catch (OperationCanceledException)
                {
                    if (headStarted && abort.IsCancellationRequested)
                    {
                        await RequestTimeoutAsync(connection, output);
                    }

                    return;
                }
                catch (IOException e)
                {
                    // The client reset the connection (Kestrel's ConnectionResetException): a normal end, not a fault.
                    ProxyLog.ClientGone(logger, connection.RemoteEndPoint?.ToString(), e.Message);
                    return;
                }

                var buffer = result.Buffer;
                if (buffer.IsEmpty && result.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return;
                }

                if (!headStarted && !buffer.IsEmpty)
                {
                    headStarted = true;
                    // A head whose bytes were there before the relay had the connection (they were sniffed for its
                    // protocol) began before: its time counts from the accept, not from here.
                    if (firstRead && connection.Features.Get<AcceptedFeature>() is { } accepted)
                    {
                        deadline.Since(accepted.Timestamp, _headSpan);
                    }
                    else
                    {
                        deadline.After(_headSpan);
                    }

                    if (abort.IsCancellationRequested)
                    {
                        // The head's time was spent before the relay had the connection (a deadline passed when set
                        // cancels at once): 408, as when it runs out while the head is read.
                        input.AdvanceTo(buffer.Start);
                        await RequestTimeoutAsync(connection, output);
                        return;
                    }
                }

                firstRead = false;

                var status = exchange.Parse(buffer, route.AbsoluteForm);
                if (status == HeadStatus.NeedMore && !result.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                RelayTarget target = default;
                bool forward;
                if (status == HeadStatus.Ready)
                {
                    progress?.RequestStarted(); // mid-request from here: never shed
                }

                try
                {
                    forward = status == HeadStatus.Ready && await route.PrepareAsync(connection, exchange, abort.Token)
                        && exchange.Build(buffer, route, out target);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!forward)
                {
                    if (status == HeadStatus.Ready)
                    {
                        progress?.RequestHandedOn(); // Kestrel starts it again
                        route.HandingOn(connection, exchange);
                    }

                    input.AdvanceTo(buffer.Start);
                    handOff = true;
                    break;
                }

                headStarted = false;
                input.AdvanceTo(buffer.GetPosition(exchange.Consumed));
                if (exchange.LocalStatus != 0)
                {
                    // The route answered (a denied inbound request): nothing goes upstream.
                    output.Write(exchange.LocalAnswer.Span);
                    route.Record(target, exchange, exchange.LocalStatus, TimeSpan.Zero);
                    target.Span?.End(exchange.LocalStatus);
                    exchange.Release();
                    progress?.RequestEnded();
                    if (!await output.FlushAsync() || exchange.Request.Close)
                    {
                        return;
                    }

                    continue;
                }

                deadline.After(_activitySpan);
                var more = await ForwardAsync(connection, output, exchange, target, deadline);
                exchange.Release(); // idle between requests: no buffer held
                progress?.RequestEnded();
                if (!more)
                {
                    return;
                }
            }
        }
        finally
        {
            exchange.Dispose();
        }

        if (handOff)
        {
            await next(connection);
        }
    }

    /// <summary>
    /// One exchange; false when the client connection must end (close requested, framing broken, client gone). It is
    /// counted once, with the status the client was sent, or 0 (status class <c>other</c>) when none was: the client went
    /// away, or the app broke the connection, before a response head (as <see cref="Metrics.AnsweredStatus"/> on the full path).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(ConnectionContext connection, ClientWriter output, RelayExchange exchange, RelayTarget target, Deadline deadline)
    {
        var started = time.GetTimestamp();
        var status = 0;
        var lease = target.Load?.Begin();
        Upstream? upstream = null;
        var keepClient = false;
        try
        {
            var response = exchange.Response;
            (upstream, status, var filled, var failure) = await ExchangeHeadsAsync(output, exchange, target, deadline, fresh: false);
            if (status == 0)
            {
                // The app had closed the pooled connection as the request went out: the request, whole in Send, goes again.
                (upstream, status, filled, failure) = await ExchangeHeadsAsync(output, exchange, target, deadline, fresh: true);
            }

            if (upstream is null)
            {
                // Said in the body too, as the full path does: a bare 502 leaves the caller guessing (a TLS port sent
                // plaintext, nothing listening).
                status = 502;
                WriteError(output, 502, "Bad Gateway", close: false,
                    exchange.Request.IsHead ? "" : $"weft: {target.Backend} at {target.Key.Address}:{target.Key.Port}: {failure}\n");
                return keepClient = await output.FlushAsync();
            }

            var clientCloses = exchange.Request.Close || response.Framing == BodyFraming.UntilClose;
            WriteResponseHead(output, upstream.Buffer, response, clientCloses);
            var (complete, clean) = await RelayBodyAsync(output, upstream, response, filled, deadline);
            if (complete && clean && !response.UpstreamCloses)
            {
                pool.Return(upstream);
                upstream = null;
            }

            return keepClient = complete && !clientCloses;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            if (status == 0 && !connection.ConnectionClosed.IsCancellationRequested)
            {
                status = 504;
                ProxyLog.ForwardFailed(logger, "RequestTimedOut", target.Key.Address, target.Key.Port, "", target.Backend, $"no response within {_activity.TotalSeconds:0.#} s");
                WriteError(output, 504, "Gateway Timeout", close: true); // the exchange's timer is spent with it
                await output.FlushAsync();
            }

            return false;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client or the app broke the connection mid-exchange: end the client's too (its response is cut).
            return false;
        }
        finally
        {
            upstream?.Dispose();
            lease?.Dispose();
            if (keepClient)
            {
                deadline.After(_keepAliveSpan);
            }

            status = Math.Max(status, 0);
            route.Record(target, exchange, status, time.GetElapsedTime(started));
            target.Span?.End(status);
        }
    }

    /// <summary>
    /// Sends the prepared request (head and body, in one write) on a pooled connection, or a new one when
    /// <paramref name="fresh"/>, and reads the response head. Returns the connection and the status; no connection and
    /// status 0 when a pooled connection failed before a byte of response (the app had closed it: worth one more try),
    /// -1 for any other failure (logged when it is the connection's), with what failed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(Upstream? Upstream, int Status, int Filled, string? Failure)> ExchangeHeadsAsync(
        ClientWriter output, RelayExchange exchange, RelayTarget target, Deadline deadline, bool fresh)
    {
        var upstream = fresh ? null : pool.TryRent(target.Key);
        try
        {
            upstream ??= await pool.ConnectAsync(target.Key, deadline.Token);
            await upstream.Stream.WriteAsync(exchange.Send.AsMemory(0, exchange.SendLength), deadline.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            var stale = upstream is { Reused: true };
            upstream?.Dispose();
            if (!stale)
            {
                ProxyLog.ForwardFailed(logger, "Request", target.Key.Address, target.Key.Port, "", target.Backend, e.Message);
            }

            return (null, stale ? 0 : -1, 0, $"cannot connect or send: {e.Message}");
        }
        catch
        {
            upstream?.Dispose(); // cancelled (a timeout, the client gone): the connection is in an unknown state
            throw;
        }

        int status, filled;
        try
        {
            (status, filled) = await ReadResponseHeadAsync(output, exchange, upstream, deadline);
        }
        catch
        {
            upstream.Dispose();
            throw;
        }

        if (status > 0)
        {
            return (upstream, status, filled, null);
        }

        var retry = status == 0 && upstream.Reused;
        upstream.Dispose();
        return (null, retry ? 0 : -1, 0, "the connection closed before an HTTP/1.1 response head (is the port TLS, or not HTTP?)");
    }

    /// <summary>
    /// Reads until a final response head is in the upstream buffer, passing interim (1xx) heads to the client.
    /// Returns its status and how many bytes the buffer holds; status 0 if the app closed before a byte of it, -1 for
    /// anything unusable (too large, malformed, a 101 nobody asked for).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Status, int Filled)> ReadResponseHeadAsync(ClientWriter output, RelayExchange exchange, Upstream upstream, Deadline deadline)
    {
        var ct = deadline.Token;
        var filled = 0;
        var received = false;
        while (true)
        {
            var buffer = upstream.Buffer;
            if (filled > 0)
            {
                var status = exchange.Response.Parse(buffer.AsSpan(0, filled), exchange.Request.IsHead);
                if (status == HeadStatus.Unsupported || (status == HeadStatus.NeedMore && filled == buffer.Length && !upstream.Grow(filled)))
                {
                    return (-1, filled);
                }

                buffer = upstream.Buffer;

                if (status == HeadStatus.Ready)
                {
                    var code = exchange.Response.Status;
                    if (code == 101)
                    {
                        return (-1, filled);
                    }

                    if (code >= 200)
                    {
                        return (code, filled);
                    }

                    // 100 Continue or 103 Early Hints: passed on; the final head follows.
                    WriteResponseHead(output, buffer, exchange.Response, clientCloses: false);
                    if (!await output.FlushAsync())
                    {
                        throw new IOException("the client went away");
                    }

                    var length = exchange.Response.Length;
                    buffer.AsSpan(length, filled - length).CopyTo(buffer);
                    filled -= length;
                    continue;
                }
            }

            int n;
            try
            {
                deadline.After(_activitySpan);
                n = await upstream.Stream.ReadAsync(buffer.AsMemory(filled), ct);
            }
            catch (Exception e) when (!received && e is IOException or SocketException)
            {
                return (0, 0);
            }

            if (n == 0)
            {
                return (received ? -1 : 0, filled);
            }

            received = true;
            filled += n;
        }
    }

    /// <summary>Copies the response body to the client as its framing says; (whole body relayed, nothing extra came after it).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Complete, bool Clean)> RelayBodyAsync(ClientWriter output, Upstream upstream, ResponseHead response, int filled, Deadline deadline)
    {
        var buffer = upstream.Buffer;
        var body = new BodyTracker(response);
        var arrived = buffer.AsSpan(response.Length, filled - response.Length);
        var take = body.Take(arrived);
        if (take < 0)
        {
            return (false, false);
        }

        output.Write(arrived[..take]);
        var clean = take == arrived.Length;
        while (!body.Done)
        {
            if (!await output.FlushAsync())
            {
                return (false, false);
            }

            deadline.After(_activitySpan); // the app's silence is what is timed, not the whole response
            var n = await upstream.Stream.ReadAsync(buffer, deadline.Token);
            if (n == 0)
            {
                return (body.EndsAtClose, false);
            }

            take = body.Take(buffer.AsSpan(0, n));
            if (take < 0)
            {
                return (false, false);
            }

            output.Write(buffer.AsSpan(0, take));
            clean = take == n;
        }

        return (await output.FlushAsync(), clean);
    }

    private static void WriteResponseHead(ClientWriter output, byte[] buffer, ResponseHead response, bool clientCloses)
    {
        var head = buffer.AsSpan(0, response.Length);
        var span = output.GetSpan(response.Length + ConnectionClose.Length);
        var n = 0;
        Http11.CopyTo(span);
        n += Http11.Length;
        n += Http1Syntax.WriteLine(span[n..], head[ResponseHead.StatusStart..response.StatusLineLength]);
        for (var i = 0; i < response.HeaderCount; i++)
        {
            ref readonly var line = ref response.Headers[i];
            if (!line.Drop)
            {
                n += Http1Syntax.WriteLine(span[n..], head.Slice(line.Start, line.Length));
            }
        }

        if (clientCloses)
        {
            ConnectionClose.CopyTo(span[n..]);
            n += ConnectionClose.Length;
        }

        Http1Syntax.Crlf.CopyTo(span[n..]);
        output.Advance(n + 2);
    }

    /// <summary>The head's time is up: 408 and the end of the connection, unless the client has gone already.</summary>
    private static async ValueTask RequestTimeoutAsync(ConnectionContext connection, ClientWriter output)
    {
        if (!connection.ConnectionClosed.IsCancellationRequested)
        {
            WriteError(output, 408, "Request Timeout", close: true);
            await output.FlushAsync();
        }
    }

    /// <summary>The proxy's own answer when the app gave none.</summary>
    private static void WriteError(ClientWriter output, int status, string reason, bool close, string body = "")
    {
        var type = body.Length == 0 ? "" : "Content-Type: text/plain; charset=utf-8\r\n";
        var text = $"HTTP/1.1 {status} {reason}\r\n{type}Content-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\n{(close ? "Connection: close\r\n" : "")}\r\n{body}";
        var span = output.GetSpan(System.Text.Encoding.UTF8.GetByteCount(text));
        var n = System.Text.Encoding.UTF8.GetBytes(text, span);
        output.Advance(n);
    }
}
