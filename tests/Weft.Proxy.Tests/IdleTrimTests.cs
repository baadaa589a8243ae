using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Tests.Http1;

namespace Weft.Proxy.Tests;

/// <summary>
/// An idle sidecar gives memory back (<see cref="IdleTrim"/>): only after a whole interval without a connection or a
/// request on its outbound and inbound listeners and with little CPU, and only when something happened since it last did.
/// </summary>
public sealed class IdleTrimTests
{
    private const long Growth = 1 << 20;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>A process to look at: counts its give-backs, which bring it to 15 MB.</summary>
    private sealed class FakeProcess
    {
        private long _cpuTicks;
        private int _gaveBack;

        public long Resident = 20 << 20;

        public TimeSpan CpuUsed
        {
            get => TimeSpan.FromTicks(Volatile.Read(ref _cpuTicks));
            set => Volatile.Write(ref _cpuTicks, value.Ticks);
        }

        public int GaveBack => Volatile.Read(ref _gaveBack);

        public IdleTrim.Process Process => new(
            () => CpuUsed,
            () => Interlocked.Read(ref Resident),
            () =>
            {
                Interlocked.Increment(ref _gaveBack);
                Interlocked.Exchange(ref Resident, 15 << 20);
                return 0;
            });
    }

    /// <summary>A trimmer whose timer never fires on its own: each test calls <see cref="IdleTrim.Tick"/> as an interval ends.</summary>
    private static IdleTrim Trimmer(FakeProcess process, Func<long> activity) =>
        new(activity, IdleTrim.MaxInterval, Growth, IdleTrim.DefaultBusyCpu, new FakeTimeProvider(), NullLogger.Instance, process.Process);

    [Fact]
    public async Task Memory_is_given_back_only_after_a_whole_interval_without_connections_or_requests()
    {
        var process = new FakeProcess();
        long activity = 0;
        await using var trim = Trimmer(process, () => activity);

        activity += 3; // requests during the first interval
        Assert.False(trim.Tick());
        activity++; // one more during the second
        Assert.False(trim.Tick());
        Assert.True(trim.Tick()); // the third was quiet

        Assert.Equal(1, process.GaveBack);
    }

    [Fact]
    public async Task An_interval_that_used_a_percent_of_a_core_is_busy_though_no_connection_or_request_was_counted()
    {
        var process = new FakeProcess();
        long activity = 0;
        await using var trim = Trimmer(process, () => activity);
        var interval = IdleTrim.MaxInterval;
        activity++;
        trim.Tick();

        process.CpuUsed += interval * IdleTrim.DefaultBusyCpu; // a tunnel moving bytes: no request ends, no connection opens
        Assert.False(trim.Tick());
        process.CpuUsed += interval * IdleTrim.DefaultBusyCpu - TimeSpan.FromTicks(1); // just under: quiet
        Assert.True(trim.Tick());
    }

    [Fact]
    public async Task A_sidecar_that_stays_busy_never_gives_memory_back_however_it_grows()
    {
        var process = new FakeProcess();
        long activity = 0;
        await using var trim = Trimmer(process, () => activity);

        for (var i = 0; i < 10; i++)
        {
            activity++;
            process.Resident += 10 * Growth;
            Assert.False(trim.Tick());
        }

        Assert.Equal(0, process.GaveBack);
    }

    [Fact]
    public async Task Nothing_is_given_back_again_while_nothing_happens()
    {
        var process = new FakeProcess();
        long activity = 1;
        await using var trim = Trimmer(process, () => activity);
        activity++;
        trim.Tick();
        Assert.True(trim.Tick());

        process.Resident += Growth - 1; // grew, but less than the growth
        for (var i = 0; i < 5; i++)
        {
            Assert.False(trim.Tick());
        }

        Assert.Equal(1, process.GaveBack);
    }

    [Fact]
    public async Task An_idle_sidecar_gives_memory_back_again_once_it_grew_by_the_growth_since_the_last_time()
    {
        var process = new FakeProcess();
        await using var trim = Trimmer(process, () => 0);
        Assert.False(trim.Tick()); // quiet, and nothing happened since the start

        process.Resident += Growth; // what probes and scrapes made it take, without a connection on its listeners
        Assert.True(trim.Tick());
        Assert.False(trim.Tick());

        process.Resident = (15 << 20) + Growth; // measured from what was left after the last give-back
        Assert.True(trim.Tick());
        Assert.Equal(2, process.GaveBack);
    }

    [Theory]
    [InlineData(0.0, Growth, 0.01, "interval")]
    [InlineData(-1.0, Growth, 0.01, "interval")]
    [InlineData(86_401.0, Growth, 0.01, "interval")]
    [InlineData(30.0, -1L, 0.01, "growth")]
    [InlineData(30.0, Growth, 0.0, "busyCpu")]
    [InlineData(30.0, Growth, 1.5, "busyCpu")]
    [InlineData(30.0, Growth, double.NaN, "busyCpu")]
    [InlineData(30.0, Growth, double.PositiveInfinity, "busyCpu")]
    public async Task Settings_out_of_range_are_refused_before_the_sidecar_starts(double seconds, long growth, double busyCpu, string name)
    {
        var interval = TimeSpan.FromSeconds(seconds);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IdleTrim(() => 0, interval, growth, busyCpu,
            new FakeTimeProvider(), NullLogger.Instance, new FakeProcess().Process));
        Assert.Equal(name, e.ParamName);

        // The host refuses them before it binds a listener, where the trimmer would only be made once they are up.
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Sidecar.StartAsync(options => options with
        {
            IdleTrimInterval = interval,
            IdleTrimGrowth = growth,
            IdleTrimBusyCpu = busyCpu,
        }));
        Assert.Contains($"IdleTrim's {name} ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_timer_looks_once_per_interval_and_stops_when_disposed()
    {
        var time = new FakeTimeProvider();
        var process = new FakeProcess();
        long activity = 1;
        var trim = new IdleTrim(() => Interlocked.Read(ref activity), Interval, Growth, IdleTrim.DefaultBusyCpu, time,
            NullLogger.Instance, process.Process);

        Interlocked.Increment(ref activity);
        await LookAsync(time, trim); // a busy interval
        Assert.Equal(0, process.GaveBack);
        await LookAsync(time, trim); // a quiet one
        Assert.Equal(1, process.GaveBack);

        await trim.DisposeAsync();
        Interlocked.Increment(ref activity);
        time.Advance(Interval * 3);
        Assert.Equal(2, trim.Looks);
        Assert.Equal(1, process.GaveBack);
    }

    /// <summary>
    /// The sidecar's listeners and its admin port as they are: a proxied request is activity, and is followed by a
    /// give-back once an interval passes without one; requests to the admin port (a kubelet's probes, a scraper) are not.
    /// </summary>
    [Fact]
    public async Task A_running_sidecar_gives_back_after_proxied_requests_once_quiet_and_admin_requests_are_not_activity()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var process = new FakeProcess();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            TimeProvider = time,
            IdleTrimInterval = Interval,
            IdleTrimGrowth = long.MaxValue, // only connections and requests make it give back here
            IdleTrimProcess = process.Process,
        });

        var trim = sidecar.Proxy.IdleTrim!;
        await ProxiedRequestAsync(sidecar, app, expectedTotal: 1);
        await LookAsync(time, trim); // the interval with the request
        Assert.Equal(0, process.GaveBack);
        await LookAsync(time, trim); // a quiet one
        Assert.Equal(1, process.GaveBack);

        // As a kubelet probes: a new connection each time; /ready and /live also connect to both listeners.
        foreach (var path in new[] { "/ready", "/live", "/metrics" })
        {
            using var probe = new HttpClient();
            (await probe.GetAsync(new Uri($"http://{sidecar.Proxy.AdminEndpoint}{path}"))).EnsureSuccessStatusCode();
            await LookAsync(time, trim);
        }

        await LookAsync(time, trim); // a quiet interval after them: were they activity, this would give back
        Assert.Equal(1, process.GaveBack);

        await ProxiedRequestAsync(sidecar, app, expectedTotal: 2);
        await LookAsync(time, trim);
        await LookAsync(time, trim);
        Assert.Equal(2, process.GaveBack);
    }

    private static async Task ProxiedRequestAsync(Sidecar sidecar, ScriptedApp app, int expectedTotal)
    {
        await using (var client = await RawConnection.OpenAsync(sidecar.Inbound))
        {
            await client.SendAsync(Sidecar.Get(app.Port));
            Assert.Equal("ok", (await client.ReadResponseAsync()).BodyText);
        }

        // Counted when the relay is done with it, which may be just after the client has read the response.
        await Eventually.ValueAsync(() => sidecar.InboundStatAsync("total"), n => n == expectedTotal, "the request counted");
    }

    /// <summary>Ends an interval and waits until the trimmer has looked (ticks that overlap would be taken as one).</summary>
    private static async Task LookAsync(FakeTimeProvider time, IdleTrim trim)
    {
        var looks = trim.Looks;
        time.Advance(Interval);
        await Eventually.TrueAsync(() => trim.Looks > looks, "the trimmer looked");
        Assert.Equal(looks + 1, trim.Looks);
    }
}
