using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Discovery;

namespace Weft.Proxy;

/// <summary>
/// The first connection middleware of one listener (issue 15): tags the connection with its <see cref="ListenerRole"/>,
/// the time it was accepted (<see cref="AcceptedFeature"/>) and its <see cref="ConnectionProgress"/>, holds the listener
/// to at most <see cref="Limit"/> open connections, and answers accept probes: <see cref="AcceptsAsync"/> connects to the
/// listener and succeeds only when this middleware saw that connection, so a listener whose accept loop died (its socket
/// still open, the kernel still queueing connections nobody takes) reads as not accepting.
/// </summary>
/// <remarks>
/// A full listener sheds before it refuses: a new connection closes the oldest one that has not proved useful (still in
/// its TLS handshake, its protocol sniff, or its first request head), or failing that the oldest idle keep-alive one, and
/// takes its place. Only when every connection has a request in flight or is a tunnel is the new one closed at once
/// (refused). Each is counted and logged at most once per <see cref="ProxyLog.RefusalInterval"/>. Why idle keep-alive
/// connections too: a client whose pooled connection is closed while idle opens another (HTTP clients expect a server to
/// close idle connections at any time), where a refused client gets an error; nginx closes its "reusable" connections
/// (those waiting for a request, new or kept alive) oldest first when it runs out of connections, and Envoy's overload
/// manager likewise stops keeping connections alive before it refuses new ones. Fresh connections go first: a flood of
/// them is what fills a listener, and a connection that served a request is a client's.
/// The accept order is a linked list under a lock taken on accept and close only (never per request); it is walked only
/// when the listener is full, from its oldest end, where a flood's connections are.
/// </remarks>
internal sealed class ListenerGuard(ListenerRole role, int limit, ILogger logger, TimeProvider time)
{
    private readonly ListenerRoleFeature _role = new(role);
    private readonly ConcurrentDictionary<IPEndPoint, TaskCompletionSource> _probes = new();
    private readonly LogLimiter _refusals = new(ProxyLog.RefusalInterval, time);
    private readonly LogLimiter _sheds = new(ProxyLog.RefusalInterval, time);
    private readonly Lock _gate = new();
    private readonly LinkedList<ConnectionProgress> _held = new(); // oldest first; shed connections leave it at once

    private int _active;
    private long _admitted;
    private long _refused;
    private long _shed;

    public ListenerRole Role => role;

    public int Limit => limit;

    /// <summary>Connections open on the listener, shed ones still closing included.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Connections let in since the listener started (counted under the accept lock, so at no cost of its own).</summary>
    public long Admitted => Volatile.Read(ref _admitted);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections closed, while the listener was full, to admit a new one.</summary>
    public long ShedCount => Interlocked.Read(ref _shed);

    /// <summary>The listener's endpoint once bound (set by the host after start).</summary>
    public IPEndPoint? Endpoint { get; set; }

    /// <summary>Called after a connection is let in (the host's flood watch).</summary>
    public Action? Opened { get; set; }

    /// <summary>Called after a connection let in ends (the host's flood watch: memory returned after a flood).</summary>
    public Action? Closed { get; set; }

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!_probes.IsEmpty && connection.RemoteEndPoint is IPEndPoint remote && _probes.TryRemove(remote, out var probe))
        {
            probe.TrySetResult();
            return;
        }

        var progress = new ConnectionProgress(connection);
        ConnectionProgress? victim = null;
        var admitted = false;
        lock (_gate)
        {
            // Shed connections still unwinding (their socket is closed at once, their state goes when whatever served them
            // has noticed) are at most as many as the limit, or the new one is refused: memory stays within twice the limit's.
            var full = _held.Count >= limit;
            if (!full || (_active - _held.Count < limit && (victim = TakeVictim()) is not null))
            {
                progress.Node = _held.AddLast(progress);
                _active++;
                _admitted++;
                admitted = true; // not progress.Node: another accept may shed this connection before the next line
            }
        }

        var remoteText = connection.RemoteEndPoint?.ToString();
        if (!admitted)
        {
            Interlocked.Increment(ref _refused);
            if (_refusals.TryTake(out var suppressed))
            {
                ProxyLog.ListenerFull(logger, Name, limit, remoteText, suppressed);
            }

            return; // closed at once: nothing read, nothing written
        }

        if (victim is not null)
        {
            Interlocked.Increment(ref _shed);
            victim.Close();
            if (_sheds.TryTake(out var suppressed))
            {
                ProxyLog.ListenerShed(logger, Name, limit, remoteText, suppressed);
            }
        }

        try
        {
            Opened?.Invoke();
            connection.Features.Set(_role);
            connection.Features.Set(new AcceptedFeature(Stopwatch.GetTimestamp()));
            connection.Features.Set(progress);
            await next(connection);
        }
        catch (Exception e) when (progress.Shed || e is ConnectionResetException)
        {
            // Closed by this guard, or reset by the peer: a normal end of a connection, not a fault.
            ProxyLog.ConnectionEndedByReset(logger, Name, remoteText, progress.Shed ? "shed" : "reset by the peer");
        }
        finally
        {
            lock (_gate)
            {
                if (progress.Node is { } node)
                {
                    _held.Remove(node);
                    progress.Node = null;
                }

                _active--;
            }

            Closed?.Invoke();
        }
    }

    /// <summary>The listener's name in logs and metrics.</summary>
    public string Name => role switch
    {
        ListenerRole.Outbound => "outbound",
        ListenerRole.Inbound => "inbound",
        _ => "admin",
    };

    /// <summary>
    /// Under the lock: the oldest connection that has served nothing and has nothing in flight, else the oldest idle
    /// keep-alive one, claimed and out of the accept order; null when every connection is mid-request or a tunnel.
    /// </summary>
    private ConnectionProgress? TakeVictim()
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var node = _held.First; node is not null; node = node.Next)
            {
                var candidate = node.Value;
                if (candidate.Served == (pass == 1) && candidate.TryClaim())
                {
                    _held.Remove(node);
                    candidate.Node = null;
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the listener takes a new connection within <paramref name="within"/>: a connection from this process that
    /// this middleware must see (and closes at once).
    /// </summary>
    public async Task<bool> AcceptsAsync(TimeSpan within, CancellationToken ct)
    {
        if (Endpoint is not { } endpoint)
        {
            return false;
        }

        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(within);
        TaskCompletionSource? seen = null;
        IPEndPoint? local = null;
        try
        {
            // Bound first, so the probe is registered under its address before the listener can see it.
            socket.Bind(new IPEndPoint(endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endpoint.Address, 0));
            local = (IPEndPoint)socket.LocalEndPoint!;
            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _probes[local] = seen;
            await socket.ConnectAsync(endpoint, timeout.Token);
            await seen.Task.WaitAsync(timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (local is not null)
            {
                _probes.TryRemove(local, out _);
            }
        }
    }
}
