using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy;

/// <summary>
/// Gives memory back to the OS while the sidecar is idle. A sidecar mostly idles, yet what it touched while busy stays
/// resident: workstation GC (non-concurrent) keeps the gen0 space it filled, until the next collection and after it,
/// and the file pages it ran come back with their cached neighbours (<see cref="StartupPages"/>). Even an idle sidecar
/// fills them, slowly: its probes, scrapes and discovery stream allocate and run code. So every interval it looks, and
/// when its outbound and inbound listeners took no connection and answered no request for the whole interval, and
/// something happened since it last gave memory back (a connection or a request, or its resident memory grew by
/// <c>growth</c>), it lets go of its file pages and runs one compacting collection (<see cref="GiveBack"/>).
/// </summary>
/// <remarks>
/// Measured (bench/RESULTS.md, "Idle memory given back"): an AOT sidecar of bench/mesh crept from 21 MB 12 s after ready
/// to 25.7 MB five minutes later, the GC's gen0 space (2 MB budget) and file pages mapped back by the probes; with this,
/// it stays near 16 MB. Costs: reading <c>/proc/self/statm</c> once an interval; a give-back (a few milliseconds of
/// one core: a compacting collection of a small heap, and reading <c>/proc/self/smaps</c>) only after a quiet interval;
/// the first request after one maps back the code it runs and the GC space it fills, minor faults from the page cache.
/// The admin listener does not count as activity: kubelet probes and scrapes would keep an idle sidecar from ever
/// being idle. Connections that stay open and only move bytes (an L4 tunnel) do not count either; they are why growth
/// is also a condition: a busy tunnel that allocates nothing never grows the sidecar, so it is not interrupted.
/// </remarks>
internal sealed class IdleTrim : IAsyncDisposable
{
    /// <summary>How long a sidecar is quiet before it gives memory back (<c>--idle-trim</c>).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    /// <summary>How much its resident memory grows while idle before it gives memory back again.</summary>
    public const long DefaultGrowth = 1L << 20;

    private readonly Func<long> _activity;
    private readonly Func<long> _resident;
    private readonly Func<long> _giveBack;
    private readonly long _growth;
    private readonly ILogger _logger;
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private long _lastActivity;
    private long _activityAtGiveBack;
    private long _residentAfterGiveBack;

    /// <param name="activity">A count that grows with every connection and request the sidecar serves.</param>
    /// <param name="resident">The process's resident bytes (<see cref="ResidentBytes"/>).</param>
    /// <param name="giveBack">Gives memory back; returns the bytes of file pages it let go (<see cref="GiveBack"/>).</param>
    /// <param name="interval">How long a quiet spell must last; also how often it looks.</param>
    /// <param name="growth">How many bytes resident memory gains while idle before it gives memory back again.</param>
    /// <param name="time">The clock of the timer.</param>
    /// <param name="logger">Where each give-back is written (Debug).</param>
    public IdleTrim(Func<long> activity, Func<long> resident, Func<long> giveBack, TimeSpan interval, long growth, TimeProvider time, ILogger logger)
    {
        _activity = activity;
        _resident = resident;
        _giveBack = giveBack;
        _growth = growth;
        _logger = logger;
        _lastActivity = _activityAtGiveBack = activity();
        _residentAfterGiveBack = resident();
        _timer = new PeriodicTimer(interval, time);
        _loop = RunAsync();
    }

    /// <summary>
    /// One look, at the end of an interval: gives memory back when the interval was quiet and something happened since
    /// the last give-back (or the start). Returns whether it did.
    /// </summary>
    internal bool Tick()
    {
        var activity = _activity();
        var quiet = activity == _lastActivity;
        _lastActivity = activity;
        if (!quiet)
        {
            return false;
        }

        var before = _resident();
        if (activity == _activityAtGiveBack && before - _residentAfterGiveBack < _growth)
        {
            return false;
        }

        var dropped = _giveBack();
        _activityAtGiveBack = activity;
        _residentAfterGiveBack = _resident();
        ProxyLog.IdleTrimmed(_logger, before / 1024, _residentAfterGiveBack / 1024, dropped / 1024);
        return true;
    }

    private async Task RunAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            Tick();
        }
    }

    /// <summary>
    /// Lets go of the file pages a sidecar can map back (<see cref="StartupPages.Drop"/>), then one aggressive compacting
    /// collection, which also takes what reading smaps allocated and decommits the free GC space. Returns the bytes of
    /// file pages let go.
    /// </summary>
    public static long GiveBack()
    {
        var dropped = StartupPages.Drop();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return dropped;
    }

    /// <summary>The process's resident bytes (<c>/proc/self/statm</c>'s second field); 0 where it cannot be read.</summary>
    public static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
                ? pages * Environment.SystemPageSize
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
    }
}
