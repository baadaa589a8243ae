using System.Text.RegularExpressions;

namespace Weft.Cli.Local;

/// <summary>
/// What a run directory (<see cref="StateFile.RunDirectory"/>) keeps from one run of <c>weft up DIR</c> to the next, and
/// what it lets go. It keeps the control plane's state (the mesh CA and token key) and the last run's logs
/// (<c>logs.previous</c>, as <c>kubectl logs --previous</c> keeps one). A pod's volumes and echo certificates go with the
/// pod (<see cref="LocalPod"/>), and whatever a run killed before it could delete them goes when the next run starts.
/// The run directory of a manifests directory that no longer exists goes when another run starts (tests and scratch
/// directories would otherwise leave one each, with a CA key in it, for ever).
/// </summary>
internal static partial class RunDirectories
{
    /// <summary>The file naming the manifests directory a run directory belongs to (its full path).</summary>
    public const string ManifestsFile = "manifests";

    public const string LogsName = "logs";
    public const string PreviousLogsName = "logs.previous";
    public const string LockName = "up.lock";

    public static string Logs(string runDirectory) => Path.Combine(runDirectory, LogsName);

    public static string Volumes(string runDirectory) => Path.Combine(runDirectory, "volumes");

    public static string Certificates(string runDirectory) => Path.Combine(runDirectory, "certs");

    /// <summary>
    /// Readies <paramref name="runDirectory"/> for a new run of <paramref name="manifestDirectory"/>; the caller holds its
    /// lock (<see cref="LockName"/>), so no other run uses it. The last run's logs become <c>logs.previous</c> (the one
    /// before goes), the pods' volumes and certificates a killed run left are deleted, and the manifests directory is
    /// recorded. Best effort: what cannot be deleted is said on <paramref name="progress"/> and the run goes on.
    /// </summary>
    public static void Start(string runDirectory, string manifestDirectory, TextWriter? progress)
    {
        try
        {
            var logs = Logs(runDirectory);
            if (Directory.Exists(logs) && Directory.EnumerateFileSystemEntries(logs).Any())
            {
                var previous = Path.Combine(runDirectory, PreviousLogsName);
                if (Directory.Exists(previous))
                {
                    Directory.Delete(previous, recursive: true);
                }

                Directory.Move(logs, previous);
            }

            Directory.CreateDirectory(logs);
            foreach (var left in new[] { Volumes(runDirectory), Certificates(runDirectory) })
            {
                if (Directory.Exists(left))
                {
                    Directory.Delete(left, recursive: true);
                }
            }

            File.WriteAllText(Path.Combine(runDirectory, ManifestsFile), manifestDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.WriteLine($"warning: run directory {runDirectory}: {e.Message}");
        }
    }

    /// <summary>
    /// Deletes the run directories under <paramref name="root"/> whose recorded manifests directory no longer exists and
    /// that no run holds (their lock is free), except <paramref name="keep"/>; returns how many. A directory that is not a
    /// run directory (its name is not one <see cref="StateFile.RunDirectory"/> makes), or that records no manifests
    /// directory, is never touched. Each is deleted while its lock is held, so a run cannot start in it meanwhile.
    /// </summary>
    public static int PruneOrphans(string root, string keep, TextWriter? progress)
    {
        var pruned = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(root).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (var candidate in candidates)
        {
            if (!RunDirectoryName().IsMatch(Path.GetFileName(candidate))
                || string.Equals(Path.GetFullPath(candidate), Path.GetFullPath(keep), StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                var recorded = Path.Combine(candidate, ManifestsFile);
                if (!File.Exists(recorded) || File.ReadAllText(recorded) is not { Length: > 0 } manifests || Directory.Exists(manifests))
                {
                    continue;
                }

                using var claim = FileClaim.TryAcquire(Path.Combine(candidate, LockName));
                if (claim is null || Directory.Exists(manifests))
                {
                    continue; // a run holds it, or its directory came back meanwhile
                }

                Directory.Delete(candidate, recursive: true);
                pruned++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                progress?.WriteLine($"warning: run directory {candidate} of a manifests directory that is gone: {e.Message}");
            }
        }

        return pruned;
    }

    /// <summary>The name <see cref="StateFile.RunDirectory"/> gives a run directory: 12 lower-case hex digits.</summary>
    [GeneratedRegex("^[0-9a-f]{12}$")]
    private static partial Regex RunDirectoryName();
}
