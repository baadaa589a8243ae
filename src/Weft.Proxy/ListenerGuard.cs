using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Discovery;

namespace Weft.Proxy;

/// <summary>
/// The first connection middleware of one listener (issue 15): tags the connection with its <see cref="ListenerRole"/>
/// and the time it was accepted (<see cref="AcceptedFeature"/>), holds the listener to at most <see cref="Limit"/> open
/// connections (one more is closed at once, counted, and logged at most once per <see cref="RefusalLogInterval"/>), and
/// answers accept probes: <see cref="AcceptsAsync"/> connects to the listener and succeeds only when this middleware saw
/// that connection, so a listener whose accept loop died (its socket still open, the kernel still queueing connections
/// nobody takes) reads as not accepting.
/// </summary>
internal sealed class ListenerGuard(ListenerRole role, int limit, ILogger logger, TimeProvider time)
{
    /// <summary>At most one "listener full" line per this interval, with the count of refusals since the last.</summary>
    public static readonly TimeSpan RefusalLogInterval = ProxyLog.RefusalInterval;

    private readonly ListenerRoleFeature _role = new(role);
    private readonly ConcurrentDictionary<IPEndPoint, TaskCompletionSource> _probes = new();
    private readonly LogLimiter _refusals = new(RefusalLogInterval, time);
    private int _active;
    private long _refused;

    public ListenerRole Role => role;

    public int Limit => limit;

    public int Active => Volatile.Read(ref _active);

    public long Refused => Interlocked.Read(ref _refused);

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

        if (Interlocked.Increment(ref _active) > limit)
        {
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref _refused);
            if (_refusals.TryTake(out var suppressed))
            {
                ProxyLog.ListenerFull(logger, role.ToString().ToLowerInvariant(), limit, connection.RemoteEndPoint?.ToString(), suppressed);
            }

            return; // closed at once: nothing read, nothing written
        }

        try
        {
            Opened?.Invoke();
            connection.Features.Set(_role);
            connection.Features.Set(new AcceptedFeature(Stopwatch.GetTimestamp()));
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            Closed?.Invoke();
        }
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

/// <summary>When the connection was accepted (a <see cref="Stopwatch"/> timestamp): deadlines that start at accept count from it.</summary>
internal sealed class AcceptedFeature(long timestamp)
{
    public long Timestamp { get; } = timestamp;

    /// <summary>What is left of <paramref name="budget"/> counted from the accept (never negative).</summary>
    public TimeSpan Left(TimeSpan budget)
    {
        var left = budget - Stopwatch.GetElapsedTime(Timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
