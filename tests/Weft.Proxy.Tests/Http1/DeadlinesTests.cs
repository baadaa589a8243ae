using System.Diagnostics;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>The fast path's connection deadlines (<see cref="Deadlines"/>): one timer, a field per connection.</summary>
public sealed class DeadlinesTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(20, 10)]
    [InlineData(100, 25)]
    [InlineData(200, 50)]
    [InlineData(30_000, 1_000)]
    [InlineData(130_000, 1_000)]
    public void The_resolution_is_a_quarter_of_the_shortest_timeout_between_10_ms_and_a_second(int shortestMs, int resolutionMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(resolutionMs), new Deadlines(TimeSpan.FromMilliseconds(shortestMs)).Resolution);

    [Fact]
    public async Task A_deadline_that_passes_cancels_its_target_no_sooner_and_at_most_a_resolution_or_so_later()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(200));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        var clock = Stopwatch.StartNew();
        deadline.After(Deadlines.Ticks(TimeSpan.FromMilliseconds(150)));

        await WhenCancelledAsync(target.Token);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"fired after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_deadline_moved_on_before_it_passes_does_not_fire_until_it_stops_moving()
    {
        var deadlines = new Deadlines(TimeSpan.FromSeconds(1));
        using var target = new CancellationTokenSource();
        using var deadline = deadlines.Watch(target);
        var step = Deadlines.Ticks(TimeSpan.FromSeconds(1));
        deadline.After(step);

        // Moved on every 10 ms for eight resolutions, twice the step: as a relay moves it with each request of a busy
        // connection (a step of a second leaves room for a loaded machine's late timers).
        var moving = Stopwatch.StartNew();
        while (moving.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.False(target.IsCancellationRequested, $"fired while moved on, after {moving.Elapsed.TotalMilliseconds} ms");
            deadline.After(step);
            await Task.Delay(10);
        }

        await WhenCancelledAsync(target.Token);
    }

    [Fact]
    public async Task Each_connection_has_its_own_deadline_and_one_that_stops_being_watched_never_fires()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(40));
        using var soon = new CancellationTokenSource();
        using var forgotten = new CancellationTokenSource();
        using var never = new CancellationTokenSource();
        using var soonDeadline = deadlines.Watch(soon);
        using var unset = deadlines.Watch(never);
        var forgottenDeadline = deadlines.Watch(forgotten);
        forgottenDeadline.After(Deadlines.Ticks(TimeSpan.FromMilliseconds(20)));
        forgottenDeadline.Dispose();
        soonDeadline.After(Deadlines.Ticks(TimeSpan.FromMilliseconds(60)));

        await WhenCancelledAsync(soon.Token);
        // The sweep that cancelled `soon` (60 ms) also saw the other two, which were due earlier or never.
        Assert.False(forgotten.IsCancellationRequested, "a deadline no longer watched fired");
        Assert.False(never.IsCancellationRequested, "a deadline never set fired");
    }

    [Fact]
    public void A_target_disposed_as_its_deadline_passes_is_no_fault()
    {
        var deadlines = new Deadlines(TimeSpan.FromMilliseconds(40));
        var target = new CancellationTokenSource();
        var deadline = deadlines.Watch(target);
        deadline.After(0);
        target.Dispose();

        deadline.Fire(deadline.At); // the sweep's call, after the connection's end disposed the target

        deadline.Dispose();
    }

    private static async Task WhenCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource();
        await using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(Within, CancellationToken.None);
    }
}
