using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Weft.Proxy.Tests;

/// <summary>
/// An idle sidecar gives memory back (<see cref="IdleTrim"/>): only after a whole interval without a connection or a
/// request on its outbound and inbound listeners, and only when something happened since it last did.
/// </summary>
public sealed class IdleTrimTests
{
    private const long Growth = 1 << 20;

    /// <summary>A trimmer whose timer never fires on its own: each test calls <see cref="IdleTrim.Tick"/> as the interval ends.</summary>
    private sealed class Subject : IAsyncDisposable
    {
        public long Activity;
        public long Resident = 20 << 20;
        public int GaveBack;
        public long ResidentAfterGiveBack = 15 << 20;

        public Subject() => Trim = new IdleTrim(() => Activity, () => Resident, GiveBack, TimeSpan.FromDays(1), Growth,
            new FakeTimeProvider(), NullLogger.Instance);

        public IdleTrim Trim { get; }

        private long GiveBack()
        {
            GaveBack++;
            Resident = ResidentAfterGiveBack;
            return 0;
        }

        public ValueTask DisposeAsync() => Trim.DisposeAsync();
    }

    [Fact]
    public async Task Memory_is_given_back_only_after_a_whole_interval_without_connections_or_requests()
    {
        await using var s = new Subject();

        s.Activity += 3; // requests during the first interval
        Assert.False(s.Trim.Tick());
        s.Activity++; // one more during the second
        Assert.False(s.Trim.Tick());
        Assert.True(s.Trim.Tick()); // the third was quiet

        Assert.Equal(1, s.GaveBack);
    }

    [Fact]
    public async Task A_sidecar_that_stays_busy_never_gives_memory_back_however_it_grows()
    {
        await using var s = new Subject();

        for (var i = 0; i < 10; i++)
        {
            s.Activity++;
            s.Resident += 10 * Growth;
            Assert.False(s.Trim.Tick());
        }

        Assert.Equal(0, s.GaveBack);
    }

    [Fact]
    public async Task Nothing_is_given_back_again_while_nothing_happens()
    {
        await using var s = new Subject();
        s.Activity++;
        s.Trim.Tick();
        Assert.True(s.Trim.Tick());

        s.Resident += Growth - 1; // grew, but less than the growth
        for (var i = 0; i < 5; i++)
        {
            Assert.False(s.Trim.Tick());
        }

        Assert.Equal(1, s.GaveBack);
    }

    [Fact]
    public async Task An_idle_sidecar_gives_memory_back_again_once_it_grew_by_the_growth_since_the_last_time()
    {
        await using var s = new Subject();
        Assert.False(s.Trim.Tick()); // quiet, and nothing happened since the start

        s.Resident += Growth; // what probes and scrapes made it take, without a connection on its listeners
        Assert.True(s.Trim.Tick());
        Assert.False(s.Trim.Tick());

        s.Resident = s.ResidentAfterGiveBack + Growth; // measured from what was left after the last give-back
        Assert.True(s.Trim.Tick());
        Assert.Equal(2, s.GaveBack);
    }

    [Fact]
    public async Task The_timer_looks_once_per_interval_and_stops_when_disposed()
    {
        var time = new FakeTimeProvider();
        long activity = 0;
        var gaveBack = 0;
        var given = new SemaphoreSlim(0);
        var trim = new IdleTrim(() => Volatile.Read(ref activity), () => 0, () =>
        {
            Interlocked.Increment(ref gaveBack);
            given.Release();
            return 0;
        }, TimeSpan.FromSeconds(30), Growth, time, NullLogger.Instance);

        Interlocked.Increment(ref activity);
        time.Advance(TimeSpan.FromSeconds(30)); // busy interval
        time.Advance(TimeSpan.FromSeconds(30)); // quiet one
        Assert.True(await given.WaitAsync(TimeSpan.FromSeconds(10)), "no give-back after a quiet interval");

        await trim.DisposeAsync();
        Interlocked.Increment(ref activity);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, Volatile.Read(ref gaveBack));
    }
}
