namespace Weft.Proxy.Http1;

/// <summary>
/// The HTTP/1.1 fast path's timeouts (keep-alive, request head, activity) as one deadline per client connection, checked
/// by one timer per relay, as Kestrel's heartbeat checks its own: moving a deadline is a write to a field. With
/// <c>CancellationTokenSource.CancelAfter</c> each move changed a timer in the runtime's shared timer queue under its
/// lock, about five times per request in each sidecar (bench/RESULTS.md). A deadline fires at most one
/// <see cref="Resolution"/> late: a quarter of the shortest timeout, between 10 ms and a second.
/// </summary>
/// <remarks>
/// Real time, whatever the proxy's <see cref="TimeProvider"/>: these bound a peer's silence on a socket, as the
/// cancellation timers did, and a test's clock moved forward must not end its connections. The timer runs only while a
/// connection is watched.
/// </remarks>
internal sealed class Deadlines
{
    public static readonly TimeSpan MinResolution = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxResolution = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly HashSet<Deadline> _watched = [];
    private readonly ITimer _timer;

    public Deadlines(TimeSpan shortest)
    {
        Resolution = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, MinResolution.Ticks, MaxResolution.Ticks));
        _timer = TimeProvider.System.CreateTimer(static state => ((Deadlines)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Resolution { get; }

    /// <summary><paramref name="span"/> in timestamp ticks, for <see cref="Deadline.After"/>; infinite as never.</summary>
    public static long Ticks(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(365) ? long.MaxValue : (long)(Math.Max(span.TotalSeconds, 0) * TimeProvider.System.TimestampFrequency);

    /// <summary>A deadline that cancels <paramref name="target"/> when it passes; none is set until <see cref="Deadline.After"/>.</summary>
    public Deadline Watch(CancellationTokenSource target)
    {
        var deadline = new Deadline(this, target);
        lock (_lock)
        {
            _watched.Add(deadline);
            if (_watched.Count == 1)
            {
                _timer.Change(Resolution, Resolution);
            }
        }

        return deadline;
    }

    internal void Forget(Deadline deadline)
    {
        lock (_lock)
        {
            if (_watched.Remove(deadline) && _watched.Count == 0)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Sweep()
    {
        var now = TimeProvider.System.GetTimestamp();
        List<(Deadline Deadline, long At)>? due = null;
        lock (_lock)
        {
            foreach (var deadline in _watched)
            {
                var at = deadline.At;
                if (at <= now)
                {
                    (due ??= []).Add((deadline, at));
                }
            }
        }

        // Outside the lock: cancelling runs the token's callbacks (a pending read's) here.
        if (due is not null)
        {
            foreach (var (deadline, at) in due)
            {
                deadline.Fire(at);
            }
        }
    }
}

/// <summary>One connection's deadline (<see cref="Deadlines"/>); disposing it stops watching.</summary>
internal sealed class Deadline(Deadlines owner, CancellationTokenSource target) : IDisposable
{
    private long _at = long.MaxValue;

    internal long At => Volatile.Read(ref _at);

    public CancellationToken Token => target.Token;

    public bool IsCancellationRequested => target.IsCancellationRequested;

    /// <summary>From now, <paramref name="ticks"/> (<see cref="Deadlines.Ticks"/>) until the target is cancelled; replaces the last.</summary>
    public void After(long ticks) =>
        Volatile.Write(ref _at, ticks == long.MaxValue ? long.MaxValue : TimeProvider.System.GetTimestamp() + ticks);

    /// <summary>Cancels the target if the deadline is still the one seen passed (not moved since).</summary>
    internal void Fire(long seen)
    {
        if (Interlocked.CompareExchange(ref _at, long.MaxValue, seen) != seen)
        {
            return;
        }

        try
        {
            target.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended as its deadline passed.
        }
    }

    public void Dispose() => owner.Forget(this);
}
