using System.Globalization;
using System.Runtime.InteropServices;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The sidecar's own resources under the names of the Prometheus Go client's process collector
/// (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>, <c>process_virtual_memory_bytes</c>,
/// <c>process_open_fds</c>, <c>process_max_fds</c>, <c>process_start_time_seconds</c>) and <c>process_threads</c>, as the
/// Rust client and Linkerd's proxy export it. CPU and resident memory from the runtime (<see cref="Environment.CpuUsage"/>,
/// <see cref="Environment.WorkingSet"/>, as the idle trimmer reads them), the rest from <c>/proc/self</c>; read when scraped, at most once a second
/// (<see cref="Reading"/>: counting descriptors costs one look-up per descriptor), never per request; no labels, so a
/// fixed seven series. Linux only: elsewhere, or what cannot be read, is left out.
/// </summary>
internal static partial class ProcessSeries
{
    /// <summary>One reading of the process. Null fields were not readable and are left out of the exposition.</summary>
    internal readonly record struct Sample(
        double CpuSeconds,
        long? ResidentBytes,
        long? VirtualBytes,
        long? OpenFds,
        long? MaxFds,
        long? Threads,
        double? StartTimeSeconds);

    /// <summary>The fields of <c>/proc/PID/stat</c> this reads (proc(5): 20, 22 and 23).</summary>
    internal readonly record struct Stat(long Threads, long StartTicks, long VirtualBytes);

    /// <summary>
    /// The last <see cref="Sample"/>, read again when it is <see cref="MaxAge"/> old: what a scraper can make the sidecar do
    /// is one reading a second, however often it asks.
    /// </summary>
    internal sealed class Reading(TimeProvider time, Func<Sample?>? read = null)
    {
        public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

        private readonly Func<Sample?> _reader = read ?? Read;
        private readonly Lock _lock = new();
        private Sample? _last;
        private long _readAt;
        private bool _hasRead;

        public Sample? Get()
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                if (!_hasRead || time.GetElapsedTime(_readAt, now) >= MaxAge)
                {
                    _last = _reader();
                    _readAt = now;
                    _hasRead = true;
                }

                return _last;
            }
        }
    }

    private static readonly Lazy<double?> StartTime = new(ReadStartTime);

    /// <summary>Reads this process now; null where there is no <c>/proc/self</c> (not Linux).</summary>
    public static Sample? Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var stat = TryRead("/proc/self/stat") is { } text && TryParseStat(text, out var parsed) ? parsed : (Stat?)null;
        var resident = Environment.WorkingSet;
        return new Sample(
            Environment.CpuUsage.TotalTime.TotalSeconds,
            resident > 0 ? resident : null,
            stat?.VirtualBytes,
            OpenDescriptors(),
            ProcessHardening.DescriptorLimit(),
            stat?.Threads,
            StartTime.Value);
    }

    /// <summary>Writes the families of <paramref name="sample"/> that were read.</summary>
    public static void Write(ExpositionWriter text, Sample sample)
    {
        text.Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", "seconds")
            .Unlabelled("process_cpu_seconds_total", sample.CpuSeconds);
        Gauge(text, "process_resident_memory_bytes", "Resident memory size in bytes.", sample.ResidentBytes, "bytes");
        Gauge(text, "process_virtual_memory_bytes", "Virtual memory size in bytes.", sample.VirtualBytes, "bytes");
        Gauge(text, "process_open_fds", "Number of open file descriptors.", sample.OpenFds);
        Gauge(text, "process_max_fds", "Maximum number of open file descriptors.", sample.MaxFds);
        Gauge(text, "process_threads", "Number of OS threads in the process.", sample.Threads);
        if (sample.StartTimeSeconds is { } start)
        {
            text.Family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", "seconds")
                .Unlabelled("process_start_time_seconds", start);
        }
    }

    private static void Gauge(ExpositionWriter text, string name, string help, long? value, string? unit = null)
    {
        if (value is { } v)
        {
            text.Family(name, "gauge", help, unit).Unlabelled(name, v);
        }
    }

    /// <summary>
    /// Parses <c>/proc/PID/stat</c>. The command name (field 2) is in parentheses and may itself hold spaces and
    /// parentheses, so the fields are counted from the last <c>)</c>.
    /// </summary>
    internal static bool TryParseStat(string text, out Stat stat)
    {
        stat = default;
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        // Field 3 (state) is the first after "comm) ", field 23 (vsize) the last read; one range more holds the rest.
        var fields = text.AsSpan(close + 1).Trim();
        Span<Range> ranges = stackalloc Range[22];
        if (fields.Split(ranges, ' ', StringSplitOptions.RemoveEmptyEntries) < 21)
        {
            return false;
        }

        if (!Field(fields, ranges, 20, out var threads) || !Field(fields, ranges, 22, out var start) || !Field(fields, ranges, 23, out var vsize))
        {
            return false;
        }

        stat = new Stat(threads, start, vsize);
        return true;

        static bool Field(ReadOnlySpan<char> fields, ReadOnlySpan<Range> ranges, int number, out long value) =>
            long.TryParse(fields[ranges[number - 3]], NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The boot time (<c>btime</c>, seconds since the epoch) from <c>/proc/stat</c>.</summary>
    internal static long? ParseBootTime(string procStat)
    {
        foreach (var line in procStat.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("btime ") && long.TryParse(line[6..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }
        }

        return null;
    }

    private static double? ReadStartTime()
    {
        long ticksPerSecond;
        try
        {
            ticksPerSecond = SysConf(ScClkTck);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // no libc's sysconf: no start time, rather than a scrape that fails for good (Lazy keeps a throw)
        }

        return ticksPerSecond > 0 && TryRead("/proc/self/stat") is { } text && TryParseStat(text, out var stat)
            && TryRead("/proc/stat") is { } procStat && ParseBootTime(procStat) is { } boot
            ? boot + ((double)stat.StartTicks / ticksPerSecond)
            : null;
    }

    private static long? OpenDescriptors() => CountEntries("/proc/self/fd");

    /// <summary>How many entries <paramref name="directory"/> holds; null when it cannot be read.</summary>
    internal static long? CountEntries(string directory)
    {
        try
        {
            long count = 0;
            foreach (var _ in Directory.EnumerateFileSystemEntries(directory))
            {
                count++;
            }

            return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
