using System.Diagnostics;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The fast path's connection deadlines (<see cref="Deadlines"/>): one timer, a field per connection. The rules are
/// checked with sweeps at given timestamps (no timer, nothing that a slow machine could make late); one test lets the
/// timer run.
/// </summary>
public sealed class DeadlinesTests
{
    // An hour from now: the relay's own timer, which runs while a deadline is watched, never sees these pass.
    private static readonly long Now = TimeProvider.System.GetTimestamp() + (TimeProvider.System.TimestampFrequency * 3600);
    private static readonly DeadlineSpan Span100 = DeadlineSpan.From(TimeSpan.FromMilliseconds(100));

    [Theory]
    [InlineData(20, 10)]
    [InlineData(100, 25)]
    [InlineData(200, 50)]
    [InlineData(30_000, 1_000)]
    [InlineData(130_000, 1_000)]
    public void The_resolution_is_a_quarter_of_the_shortest_timeout_between_10_ms_and_a_second(int shortestMs, int resolutionMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(resolutionMs),
            new Deadlines(TimeSpan.FromSeconds(100), TimeSpan.FromMilliseconds(shortestMs), TimeSpan.FromSeconds(30)).Resolution);

    [Fact]
    public void Infinite_timeouts_do_not_count_for_the_resolution_and_never_pass()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), new Deadlines(Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(2)).Resolution);
        Assert.Equal(Deadlines.MaxResolution, new Deadlines(Timeout.InfiniteTimeSpan, TimeSpan.FromDays(400)).Resolution);
        Assert.True(DeadlineSpan.From(Timeout.InfiniteTimeSpan).IsNever);
        Assert.True(DeadlineSpan.From(TimeSpan.FromDays(365)).IsNever);

        var deadlines = new Deadlines(Timeout.InfiniteTimeSpan);
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        deadline.After(DeadlineSpan.Never, Now);
        deadlines.Sweep(long.MaxValue - 1);
        Assert.False(target.IsCancellationRequested);
    }

    [Fact]
    public void A_deadline_fires_at_the_first_sweep_at_or_after_it_and_no_sooner()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(100));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        deadline.After(Span100, Now);

        deadlines.Sweep(Now + Span100.TimestampTicks - 1);
        Assert.False(target.IsCancellationRequested, "fired before its time");

        deadlines.Sweep(Now + Span100.TimestampTicks);
        Assert.True(target.IsCancellationRequested, "not fired at its time");
    }

    [Fact]
    public void A_deadline_moved_on_before_a_sweep_sees_it_passed_does_not_fire_until_the_new_one_passes()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(100));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        deadline.After(Span100, Now);
        deadline.After(Span100, Now + (Span100.TimestampTicks * 9 / 10)); // the next request of a busy connection

        deadlines.Sweep(Now + (Span100.TimestampTicks * 3 / 2));
        Assert.False(target.IsCancellationRequested, "the first deadline fired after it was moved on");

        deadlines.Sweep(Now + (Span100.TimestampTicks * 2));
        Assert.True(target.IsCancellationRequested, "the moved deadline did not fire");
    }

    [Fact]
    public void A_deadline_moved_on_between_the_sweep_seeing_it_passed_and_firing_it_does_not_fire()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(100));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        deadline.After(Span100, Now);
        var seen = deadline.At; // what the sweep read, at Now + 150 ms

        deadline.After(Span100, Now + Span100.TimestampTicks); // the relay, on another thread, meanwhile
        deadline.Fire(seen);

        Assert.False(target.IsCancellationRequested);
    }

    [Fact]
    public void A_deadline_already_passed_when_set_cancels_at_once()
    {
        var deadlines = new Deadlines(TimeSpan.FromSeconds(30));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);

        deadline.After(DeadlineSpan.From(TimeSpan.Zero));

        Assert.True(target.IsCancellationRequested);
    }

    [Fact]
    public void A_deadline_counted_from_an_earlier_start_cancels_at_once_when_that_start_is_too_long_ago()
    {
        var deadlines = new Deadlines(TimeSpan.FromSeconds(30));
        using var recent = new CancellationTokenSource();
        using var spent = new CancellationTokenSource();
        using var recentDeadline = deadlines.Watch(recent);
        using var spentDeadline = deadlines.Watch(spent);
        var now = Stopwatch.GetTimestamp();

        // A span of 20 s: an accept half of it ago is not spent however long the machine takes between the two clock reads.
        var span = DeadlineSpan.From(TimeSpan.FromSeconds(20));
        recentDeadline.Since(now - (span.TimestampTicks / 2), span); // an accept 10 s ago
        spentDeadline.Since(now - (span.TimestampTicks * 2), span); // an accept 40 s ago

        Assert.False(recent.IsCancellationRequested);
        Assert.True(spent.IsCancellationRequested);
    }

    [Fact]
    public void Each_connection_has_its_own_deadline_and_one_that_stops_being_watched_never_fires()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(100));
        using var soon = new CancellationTokenSource();
        using var later = new CancellationTokenSource();
        using var forgotten = new CancellationTokenSource();
        using var never = new CancellationTokenSource();
        using var soonDeadline = deadlines.Watch(soon);
        using var laterDeadline = deadlines.Watch(later);
        using var unset = deadlines.Watch(never);
        var forgottenDeadline = deadlines.Watch(forgotten);
        forgottenDeadline.After(Span100, Now);
        forgottenDeadline.Dispose();
        soonDeadline.After(Span100, Now);
        laterDeadline.After(Span100, Now + Span100.TimestampTicks);

        deadlines.Sweep(Now + Span100.TimestampTicks);

        Assert.True(soon.IsCancellationRequested, "a passed deadline did not fire");
        Assert.False(later.IsCancellationRequested, "another connection's deadline, not passed, fired");
        Assert.False(forgotten.IsCancellationRequested, "a deadline no longer watched fired");
        Assert.False(never.IsCancellationRequested, "a deadline never set fired");
    }

    [Fact]
    public void A_failing_callback_or_a_disposed_target_does_not_keep_the_sweep_from_the_other_deadlines()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(100));
        var disposed = new CancellationTokenSource();
        using var failing = new CancellationTokenSource();
        using var healthy = new CancellationTokenSource();
        failing.Token.Register(() => throw new InvalidOperationException("a callback that fails"));
        using var disposedDeadline = deadlines.Watch(disposed);
        using var failingDeadline = deadlines.Watch(failing);
        using var healthyDeadline = deadlines.Watch(healthy);
        foreach (var deadline in new[] { disposedDeadline, failingDeadline, healthyDeadline })
        {
            deadline.After(Span100, Now);
        }

        disposed.Dispose(); // the connection ended as its deadline passed

        deadlines.Sweep(Now + Span100.TimestampTicks);

        Assert.True(failing.IsCancellationRequested);
        Assert.True(healthy.IsCancellationRequested);
    }

    [Fact]
    public async Task The_timer_fires_a_passed_deadline_by_itself_and_no_sooner()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(200));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        var clock = Stopwatch.StartNew();
        deadline.After(DeadlineSpan.From(TimeSpan.FromMilliseconds(150)));

        var cancelled = new TaskCompletionSource();
        await using (target.Token.Register(() => cancelled.TrySetResult()))
        {
            await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"fired after {clock.Elapsed.TotalMilliseconds} ms");
    }
}
