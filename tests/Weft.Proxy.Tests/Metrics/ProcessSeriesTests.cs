using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// The sidecar's own CPU, memory, descriptors, threads and start time, under the Prometheus clients' process collector
/// names (<c>process_*</c>), read when scraped, at most once a second.
/// </summary>
public sealed class ProcessSeriesTests
{
    // A stat line of a process whose name holds spaces and parentheses (proc(5): the name is field 2, in parentheses).
    private const string Stat = "4242 (weft) (proxy x) S 1 4242 4242 0 -1 4194560 1200 0 3 0 150 40 0 0 20 0 "
        + "9 0 6724941 1073741824 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

    internal static readonly ProcessSeries.Sample Fixed = new(12.5, 20_480_000, 1_073_741_824, 17, 1_048_576, 9, 1_733_400_000.25);

    [Fact]
    public void Stat_fields_are_counted_from_the_last_parenthesis_of_the_command_name()
    {
        Assert.True(ProcessSeries.TryParseStat(Stat, out var stat));

        Assert.Equal(new ProcessSeries.Stat(Threads: 9, StartTicks: 6724941, VirtualBytes: 1_073_741_824), stat);
    }

    [Theory]
    [InlineData("4242 (weft) S 1 4242 4242 0 -1 4194560 1200 0 3 0 150 40 0 0 20 0 9 0 6724941")] // cut before field 23
    [InlineData("4242 weft S 1 4242 4242 0 -1 4194560 1200 0 3 0 150 40 0 0 20 0 9 0 6724941 1073741824 5000")] // no name
    [InlineData("4242 (weft) S 1 4242 4242 0 -1 4194560 1200 0 3 0 150 40 0 0 20 0 nine 0 6724941 1073741824 5000")]
    public void A_stat_line_that_is_cut_short_or_not_numbers_is_not_read(string line) =>
        Assert.False(ProcessSeries.TryParseStat(line, out _));

    [Fact]
    public void The_boot_time_is_the_btime_line_of_proc_stat()
    {
        const string ProcStat = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5\nctxt 6\nbtime 1733300000\nprocesses 7\n";

        Assert.Equal(1733300000, ProcessSeries.ParseBootTime(ProcStat));
        Assert.Null(ProcessSeries.ParseBootTime("cpu  1 2 3 4\n"));
    }

    [Fact]
    public void The_families_are_the_Prometheus_clients_process_collector_names_in_both_formats()
    {
        var prometheus = ExpositionParser.Parse(Write(Fixed, ExpositionFormat.Prometheus), openMetrics: false);
        var openMetricsText = Write(Fixed, ExpositionFormat.OpenMetrics);
        var openMetrics = ExpositionParser.Parse(openMetricsText, openMetrics: true);

        Assert.Equal("counter", prometheus.Types["process_cpu_seconds_total"]);
        Assert.Equal("counter", openMetrics.Types["process_cpu_seconds"]);
        Assert.Contains("# UNIT process_cpu_seconds seconds\n", openMetricsText, StringComparison.Ordinal);
        Assert.Contains("# UNIT process_resident_memory_bytes bytes\n", openMetricsText, StringComparison.Ordinal);
        Assert.Contains("# UNIT process_start_time_seconds seconds\n", openMetricsText, StringComparison.Ordinal);
        foreach (var exposition in new[] { prometheus, openMetrics })
        {
            var values = exposition.Samples.ToDictionary(s => s.Name, s => s.Value);
            Assert.Equal(12.5, values["process_cpu_seconds_total"]);
            Assert.Equal(20_480_000, values["process_resident_memory_bytes"]);
            Assert.Equal(1_073_741_824, values["process_virtual_memory_bytes"]);
            Assert.Equal(17, values["process_open_fds"]);
            Assert.Equal(1_048_576, values["process_max_fds"]);
            Assert.Equal(9, values["process_threads"]);
            Assert.Equal(1_733_400_000.25, values["process_start_time_seconds"]);
            Assert.All(exposition.Samples, s => Assert.Empty(s.Labels));
            Assert.All(exposition.Types.Where(t => t.Key != "process_cpu_seconds_total" && t.Key != "process_cpu_seconds"), t => Assert.Equal("gauge", t.Value));
        }
    }

    [Fact]
    public void A_family_the_process_could_not_read_is_left_out()
    {
        var partial = Fixed with { OpenFds = null, MaxFds = null, StartTimeSeconds = null };

        var samples = ExpositionParser.Parse(Write(partial, ExpositionFormat.Prometheus), openMetrics: false).Samples.Select(s => s.Name).ToList();

        Assert.Equal(["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_threads"], samples);
    }

    [Fact]
    public void This_process_read_from_proc_agrees_with_the_runtimes_own_view_of_it()
    {
        using var self = Process.GetCurrentProcess();
        var before = self.TotalProcessorTime.TotalSeconds;

        var sample = ProcessSeries.Read() ?? throw new InvalidOperationException("no /proc/self");
        self.Refresh();

        // The start time: the runtime reads it its own way (and the test host started before this test).
        var started = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(sample.StartTimeSeconds!.Value, started - 1, started + 1);
        Assert.InRange(sample.CpuSeconds, before - 0.05, self.TotalProcessorTime.TotalSeconds + 0.05); // the runtime's is in 10 ms ticks

        // Memory and threads move while other tests run beside this one: the same order of magnitude, not the same value.
        Assert.InRange(sample.ResidentBytes!.Value, self.WorkingSet64 / 2, self.WorkingSet64 * 2);
        Assert.InRange(sample.VirtualBytes!.Value, self.VirtualMemorySize64 / 2, self.VirtualMemorySize64 * 2);
        Assert.InRange(sample.Threads!.Value, 1, self.Threads.Count * 2);

        // The soft limit of open files, as the kernel writes it in /proc/self/limits.
        var limit = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        Assert.Equal(long.Parse(limit["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture), sample.MaxFds);
    }

    [Fact]
    public void Entries_are_counted_and_a_directory_that_cannot_be_read_is_no_count()
    {
        var directory = Directory.CreateTempSubdirectory("weft-entries-");
        try
        {
            for (var i = 0; i < 6; i++)
            {
                File.WriteAllText(Path.Combine(directory.FullName, $"f{i}"), "");
            }

            directory.CreateSubdirectory("sub");

            Assert.Equal(7, ProcessSeries.CountEntries(directory.FullName));
            Assert.Null(ProcessSeries.CountEntries(Path.Combine(directory.FullName, "missing")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Open_descriptors_are_those_of_proc_self_fd_including_the_ones_this_test_holds()
    {
        var files = new List<FileStream>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                files.Add(File.OpenRead("/proc/self/stat"));
            }

            // Other tests open and close descriptors meanwhile: the reading lies between two direct counts around it.
            var before = Directory.GetFileSystemEntries("/proc/self/fd").Length;
            var open = ProcessSeries.Read()!.Value.OpenFds!.Value;
            var after = Directory.GetFileSystemEntries("/proc/self/fd").Length;

            Assert.True(open >= 200, $"{open} descriptors while this test holds 200");
            Assert.InRange(open, Math.Min(before, after) - 32, Math.Max(before, after) + 32);
        }
        finally
        {
            files.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public void A_scraper_gets_one_reading_a_second_however_often_it_asks()
    {
        var time = new FakeTimeProvider();
        var reads = 0;
        var reading = new ProcessSeries.Reading(time, () => Fixed with { OpenFds = ++reads });

        Assert.Equal(1, reading.Get()!.Value.OpenFds);
        Assert.Equal(1, reading.Get()!.Value.OpenFds);
        time.Advance(ProcessSeries.Reading.MaxAge - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, reading.Get()!.Value.OpenFds);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, reading.Get()!.Value.OpenFds);
        Assert.Equal(2, reads);
    }

    private static string Write(ProcessSeries.Sample sample, ExpositionFormat format)
    {
        var text = new ExpositionWriter(format);
        ProcessSeries.Write(text, sample);
        return text.ToString();
    }
}
