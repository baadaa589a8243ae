using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

/// <summary>What a run directory keeps from one run of <c>weft up DIR</c> to the next, and what goes.</summary>
public sealed class RunDirectoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("weft-runs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_last_runs_logs_are_kept_as_the_previous_ones_and_the_run_before_goes()
    {
        var run = Directory.CreateDirectory(Path.Combine(_root, "0123456789ab")).FullName;
        var manifests = Directory.CreateDirectory(Path.Combine(_root, "manifests")).FullName;
        Write(Path.Combine(run, "logs", "ns_web-1_web.log"), "first run");
        RunDirectories.BeginRun(run, manifests, progress: null);
        Write(Path.Combine(run, "logs", "ns_web-2_web.log"), "second run");

        RunDirectories.BeginRun(run, manifests, progress: null);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(run, "logs")));
        Assert.Equal(["ns_web-2_web.log"], Directory.EnumerateFiles(Path.Combine(run, "logs.previous")).Select(Path.GetFileName));
        Assert.Equal(manifests, File.ReadAllText(Path.Combine(run, RunDirectories.ManifestsFile)));
    }

    [Fact]
    public void A_run_with_no_logs_keeps_the_previous_ones()
    {
        var run = Directory.CreateDirectory(Path.Combine(_root, "0123456789ab")).FullName;
        Write(Path.Combine(run, "logs", "ns_web-1_web.log"), "a run with pods");
        RunDirectories.BeginRun(run, _root, progress: null);

        RunDirectories.BeginRun(run, _root, progress: null); // the run between wrote no log

        Assert.Equal(["ns_web-1_web.log"], Directory.EnumerateFiles(Path.Combine(run, "logs.previous")).Select(Path.GetFileName));
    }

    [Fact]
    public void Volumes_and_certificates_a_killed_run_left_are_deleted_when_the_next_run_starts()
    {
        var run = Directory.CreateDirectory(Path.Combine(_root, "0123456789ab")).FullName;
        Write(Path.Combine(RunDirectories.Volumes(run), "ns_web-1", "weft-identity", "token"), "a token");
        Write(Path.Combine(RunDirectories.Certificates(run), "ns_web-1_echo.key"), "a key");
        Write(Path.Combine(RunDirectories.Credentials(run), "ns_web-1.token"), "an API server token");
        Write(Path.Combine(run, "state", "ca.key"), "the mesh CA's key");

        RunDirectories.BeginRun(run, _root, progress: null);

        Assert.False(Directory.Exists(RunDirectories.Volumes(run)));
        Assert.False(Directory.Exists(RunDirectories.Certificates(run)));
        Assert.False(Directory.Exists(RunDirectories.Credentials(run)));
        Assert.True(File.Exists(Path.Combine(run, "state", "ca.key"))); // the control plane's state stays
    }

    [Fact]
    public void Only_the_run_directories_of_manifests_directories_that_are_gone_and_that_no_run_holds_are_deleted()
    {
        var gone = Path.Combine(_root, "deleted-manifests");
        var kept = Directory.CreateDirectory(Path.Combine(_root, "manifests")).FullName;
        var orphan = RunOf("00000000000a", gone);
        RunOf("00000000000b", kept); // its manifests directory is there
        var held = RunOf("00000000000c", gone); // a run holds it
        Directory.CreateDirectory(Path.Combine(_root, "00000000000d")); // records no manifests directory
        RunOf("blocks", gone); // not a run directory's name
        var current = RunOf("00000000000e", gone);
        using var running = FileClaim.TryAcquire(Path.Combine(held, RunDirectories.LockName));
        Assert.NotNull(running);
        var said = new StringWriter();

        var pruned = RunDirectories.PruneOrphans(_root, current, said);

        Assert.Equal(1, pruned);
        Assert.False(Directory.Exists(orphan));
        Assert.Equal($"removed run directory {orphan} of {gone}, which no longer exists{Environment.NewLine}", said.ToString());
        Assert.Equal(["00000000000b", "00000000000c", "00000000000d", "00000000000e", "blocks", "manifests"], // nothing half deleted
            Directory.EnumerateDirectories(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private string RunOf(string name, string manifests)
    {
        var run = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        Write(Path.Combine(run, RunDirectories.ManifestsFile), manifests);
        Write(Path.Combine(run, "state", "ca.key"), "a CA key");
        return run;
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
