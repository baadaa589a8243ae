using Microsoft.Extensions.Logging;

namespace Weft.Proxy;

/// <summary>
/// Gives memory back to the OS while the sidecar is idle. What it touched while busy stays resident: the GC keeps the
/// space it filled, and the file pages it ran come back with their cached neighbours (<see cref="StartupPages"/>); even
/// an idle sidecar's probes, scrapes and discovery stream fill them, slowly. So at the end of every interval it looks:
/// when the interval was quiet and something happened since it last gave memory back (a connection or a request, or
/// resident memory grew by <c>growth</c>), it lets go of its file pages and compacts (<see cref="ProcessMemory.GiveBack"/>).
/// </summary>
/// <remarks>
/// Quiet: the outbound and inbound listeners admitted no connection and answered no request, and the process used less
/// than <c>busyCpu</c> of one core. The admin listener is not activity (probes and scrapes never stop), though its CPU
/// counts towards the bound (a scrape is far below it). CPU stands for what the counters cannot see, work in flight: a
/// tunnel or a long stream moving bytes. One that moves so few that it stays under the bound does get a give-back now
/// and then (a pause of a few milliseconds, then minor faults as it maps back what it runs). Each look reads the
/// process's CPU time, and its resident size (<see cref="Environment.WorkingSet"/>, VmRSS) after a quiet interval; a give-back runs on a thread-pool thread.
/// </remarks>
internal sealed class IdleTrim : IAsyncDisposable
{
    /// <summary>How long a sidecar is quiet before it gives memory back (<c>--idle-trim-seconds</c>).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    /// <summary>The longest interval: a day (a timer's period has its own limit, about 49 days).</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>How much its resident memory grows while idle before it gives memory back again.</summary>
    public const long DefaultGrowth = 1L << 20;

    /// <summary>The share of one core above which an interval is busy: 1%; an idle sidecar uses about 0.1%.</summary>
    public const double DefaultBusyCpu = 0.01;

    /// <summary>What the trimmer reads and does to the process; <see cref="ProcessMemory"/>'s, but in tests.</summary>
    internal sealed record Process(Func<TimeSpan> Cpu, Func<long> Resident, Func<long> GiveBack)
    {
        public static Process Self { get; } = new(() => Environment.CpuUsage.TotalTime, () => Environment.WorkingSet, ProcessMemory.GiveBack);
    }

    private readonly Func<long> _activity;
    private readonly Process _process;
    private readonly long _growth;
    private readonly TimeSpan _busyCpu;
    private readonly ILogger _logger;
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private long _lastActivity;
    private TimeSpan _lastCpu;
    private long _activityAtGiveBack;
    private long _residentAfterGiveBack;
    private int _looks;

    /// <param name="activity">A count that grows with every connection and request the sidecar serves.</param>
    /// <param name="interval">How long a quiet spell must last; also how often it looks.</param>
    /// <param name="growth">How many bytes resident memory gains while idle before it gives memory back again.</param>
    /// <param name="busyCpu">The share of one core above which an interval is busy.</param>
    /// <param name="time">The clock of the timer.</param>
    /// <param name="logger">Where each give-back is written (Debug) and a failed look (Warning).</param>
    /// <param name="process">The process looked at and trimmed (<see cref="Process.Self"/>).</param>
    public IdleTrim(Func<long> activity, TimeSpan interval, long growth, double busyCpu, TimeProvider time, ILogger logger, Process? process = null)
    {
        if (Invalid(interval, growth, busyCpu) is { } invalid)
        {
            throw new ArgumentOutOfRangeException(invalid.Name, invalid.Problem);
        }

        _activity = activity;
        _process = process ?? Process.Self;
        _growth = growth;
        _busyCpu = interval * busyCpu;
        _logger = logger;
        _lastActivity = _activityAtGiveBack = activity();
        _lastCpu = _process.Cpu();
        _residentAfterGiveBack = _process.Resident();
        _timer = new PeriodicTimer(interval, time);
        _loop = RunAsync();
    }

    /// <summary>
    /// What is wrong with these settings, by name, or null: the interval more than zero and at most
    /// <see cref="MaxInterval"/>, the growth not negative, the share of a core more than zero and at most one.
    /// </summary>
    public static (string Name, string Problem)? Invalid(TimeSpan interval, long growth, double busyCpu) =>
        interval <= TimeSpan.Zero || interval > MaxInterval ? ("interval", $"must be more than zero and at most {MaxInterval}, not {interval}")
        : growth < 0 ? ("growth", $"must not be negative, not {growth}")
        : !(busyCpu > 0 && busyCpu <= 1) ? ("busyCpu", $"must be a share of one core, more than 0 and at most 1, not {busyCpu}")
        : null;

    /// <summary>How many intervals it has looked at, give-back included (tests wait on it).</summary>
    internal int Looks => Volatile.Read(ref _looks);

    /// <summary>
    /// One look, at the end of an interval: gives memory back when the interval was quiet and something happened since
    /// the last give-back (or the start). Returns whether it did.
    /// </summary>
    internal bool Tick()
    {
        try
        {
            return Look();
        }
        finally
        {
            Interlocked.Increment(ref _looks);
        }
    }

    private bool Look()
    {
        var activity = _activity();
        var cpu = _process.Cpu();
        var quiet = activity == _lastActivity && cpu - _lastCpu < _busyCpu;
        _lastActivity = activity;
        _lastCpu = cpu;
        if (!quiet)
        {
            return false;
        }

        var before = _process.Resident();
        if (activity == _activityAtGiveBack && before - _residentAfterGiveBack < _growth)
        {
            return false;
        }

        var dropped = _process.GiveBack();
        _activityAtGiveBack = activity;
        _residentAfterGiveBack = _process.Resident();
        ProxyLog.IdleTrimmed(_logger, before / 1024, _residentAfterGiveBack / 1024, dropped / 1024);
        return true;
    }

    private async Task RunAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            try
            {
                Tick();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ProxyLog.IdleTrimFailed(_logger, e); // the next interval looks again
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
    }
}
