using System.Diagnostics;

namespace Weft.Proxy.Http1;

/// <summary>
/// The HTTP/1.1 fast path's timeouts (keep-alive, request head, activity) as one deadline per client connection, checked
/// by one timer per relay, as Kestrel's heartbeat checks its own: moving a deadline is a write to a field. With
/// <c>CancellationTokenSource.CancelAfter</c> each move changed a timer in the runtime's shared timer queue under its
/// lock, about five times per request in each sidecar (bench/RESULTS.md). A deadline fires no sooner than set and at most
/// one <see cref="Resolution"/> later: a quarter of the shortest finite timeout, between 10 ms and a second. One already
/// passed when set fires at once.
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

    /// <param name="timeouts">The timeouts the deadlines will be set to; infinite ones (<see cref="DeadlineSpan.Never"/>) do not count.</param>
    public Deadlines(params ReadOnlySpan<TimeSpan> timeouts)
    {
        var shortest = TimeSpan.MaxValue;
        foreach (var timeout in timeouts)
        {
            if (!DeadlineSpan.From(timeout).IsNever && timeout < shortest)
            {
                shortest = timeout;
            }
        }

        Resolution = shortest == TimeSpan.MaxValue
            ? MaxResolution
            : TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, MinResolution.Ticks, MaxResolution.Ticks));

        // The sweep runs on its own: not in whatever context made the relay (a CancelAfter timer captured none either).
        var suppressed = ExecutionContext.IsFlowSuppressed();
        var flow = suppressed ? default : ExecutionContext.SuppressFlow();
        try
        {
            _timer = TimeProvider.System.CreateTimer(static state => ((Deadlines)state!).Sweep(Stopwatch.GetTimestamp()), this,
                Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (!suppressed)
            {
                flow.Undo();
            }
        }
    }

    public TimeSpan Resolution { get; }

    /// <summary>A deadline that cancels <paramref name="target"/> when it passes; none is set until <see cref="Deadline.After(DeadlineSpan)"/>.</summary>
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

    /// <summary>Cancels the targets of the deadlines passed by <paramref name="now"/> (a timestamp); the timer's call, and tests'.</summary>
    internal void Sweep(long now)
    {
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

/// <summary>A timeout as a count of <see cref="Stopwatch"/> timestamp ticks, made once from a <see cref="TimeSpan"/>.</summary>
internal readonly record struct DeadlineSpan
{
    private DeadlineSpan(long timestampTicks) => TimestampTicks = timestampTicks;

    /// <summary>No deadline: an infinite timeout, or one of a year or more.</summary>
    public static DeadlineSpan Never { get; } = new(long.MaxValue);

    public long TimestampTicks { get; }

    public bool IsNever => TimestampTicks == long.MaxValue;

    /// <summary><paramref name="timeout"/>; infinite, or a year or more, is <see cref="Never"/>; zero or less has passed already.</summary>
    public static DeadlineSpan From(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan || timeout >= TimeSpan.FromDays(365)
            ? Never
            : new((long)(Math.Max(timeout.TotalSeconds, 0) * Stopwatch.Frequency));
}

/// <summary>One connection's deadline (<see cref="Deadlines"/>); disposing it stops watching.</summary>
internal sealed class Deadline(Deadlines owner, CancellationTokenSource target) : IDisposable
{
    private long _at = long.MaxValue;

    /// <summary>When it passes, as a timestamp; <see cref="long.MaxValue"/> for none.</summary>
    internal long At => Volatile.Read(ref _at);

    public CancellationToken Token => target.Token;

    public bool IsCancellationRequested => target.IsCancellationRequested;

    /// <summary>Passes <paramref name="span"/> from now (replacing the last); at once if it is zero.</summary>
    public void After(DeadlineSpan span)
    {
        var now = Stopwatch.GetTimestamp();
        Set(span, now, now);
    }

    /// <summary>
    /// Passes <paramref name="span"/> from <paramref name="start"/>, an earlier <see cref="Stopwatch"/> timestamp (a head
    /// whose time counts from the connection's accept); at once if that is past already.
    /// </summary>
    public void Since(long start, DeadlineSpan span) => Set(span, start, Stopwatch.GetTimestamp());

    /// <summary><see cref="After(DeadlineSpan)"/> from <paramref name="now"/>, a timestamp (tests give their own).</summary>
    internal void After(DeadlineSpan span, long now) => Set(span, now, now);

    private void Set(DeadlineSpan span, long start, long now)
    {
        var at = span.IsNever ? long.MaxValue : start + span.TimestampTicks;
        if (at <= now)
        {
            // Passed already: no waiting for a sweep, in which the deadline could be moved on and the spent time forgotten.
            Volatile.Write(ref _at, long.MaxValue);
            Cancel();
        }
        else
        {
            Volatile.Write(ref _at, at);
        }
    }

    /// <summary>Cancels the target if the deadline is still the one seen passed (not moved since).</summary>
    internal void Fire(long seen)
    {
        if (Interlocked.CompareExchange(ref _at, long.MaxValue, seen) == seen)
        {
            Cancel();
        }
    }

    public void Dispose() => owner.Forget(this);

    private void Cancel()
    {
        try
        {
            target.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended as its deadline passed.
        }
        catch (AggregateException)
        {
            // A callback of the token failed; the token is cancelled, and the other deadlines of the sweep still fire.
        }
    }
}
