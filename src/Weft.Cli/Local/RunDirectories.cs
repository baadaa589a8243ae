using System.Text.RegularExpressions;

namespace Weft.Cli.Local;

/// <summary>
/// What a run directory (<see cref="StateFile.RunDirectory"/>) keeps from one run of <c>weft up DIR</c> to the next, and
/// what it lets go. It keeps the control plane's state (<c>state/</c>: the mesh CA, the token key) and the last run's
/// logs (<c>logs.previous</c>, as <c>kubectl logs --previous</c> keeps one). A pod's volumes and echo certificates go
/// with the pod (<see cref="LocalPod"/>); what a killed run left of its pods (those, and the API server's pod tokens of a
/// <c>--kubeconfig</c> run) goes when the next run of the directory begins. The run directory of a manifests directory
/// that no longer exists goes when any run in the same root begins: tests and scratch directories would otherwise leave
/// one each, with a CA key in it, for ever.
/// </summary>
internal static partial class RunDirectories
{
    /// <summary>The file naming the manifests directory a run directory belongs to (its full path).</summary>
    public const string ManifestsFile = "manifests";

    public const string LogsName = "logs";
    public const string PreviousLogsName = "logs.previous";

    /// <summary>The run's lock: held by the run for its whole life (<see cref="FileClaim"/>).</summary>
    public const string LockName = "up.lock";

    public static string Logs(string runDirectory) => Path.Combine(runDirectory, LogsName);

    public static string Volumes(string runDirectory) => Path.Combine(runDirectory, "volumes");

    public static string Certificates(string runDirectory) => Path.Combine(runDirectory, "certs");

    /// <summary>The pods' API server tokens and the trust bundle of a <c>--kubeconfig</c> run (<c>ApiClusterRecord</c>).</summary>
    public static string Credentials(string runDirectory) => Path.Combine(runDirectory, "credentials");

    /// <summary>
    /// Readies <paramref name="runDirectory"/> for a new run of <paramref name="manifestDirectory"/>; the caller holds its
    /// lock (<see cref="LockName"/>), so no other run uses it. The last run's logs become <c>logs.previous</c> (the one
    /// before goes), what a killed run left of its pods is deleted, and the manifests directory is recorded. Each step is
    /// best effort on its own: what fails is said on <paramref name="progress"/>, and the run goes on.
    /// </summary>
    public static void BeginRun(string runDirectory, string manifestDirectory, TextWriter? progress)
    {
        var logs = Logs(runDirectory);
        Step(() =>
        {
            if (Directory.Exists(logs) && Directory.EnumerateFileSystemEntries(logs).Any())
            {
                var previous = Path.Combine(runDirectory, PreviousLogsName);
                if (Directory.Exists(previous))
                {
                    Directory.Delete(previous, recursive: true);
                }

                Directory.Move(logs, previous);
            }
        });
        Step(() => Directory.CreateDirectory(logs));
        foreach (var left in new[] { Volumes(runDirectory), Certificates(runDirectory), Credentials(runDirectory) })
        {
            Step(() =>
            {
                if (Directory.Exists(left))
                {
                    Directory.Delete(left, recursive: true);
                }
            });
        }

        Step(() => File.WriteAllText(Path.Combine(runDirectory, ManifestsFile), manifestDirectory));

        void Step(Action step)
        {
            try
            {
                step();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                progress?.WriteLine($"warning: run directory {runDirectory}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Deletes the run directories under <paramref name="root"/> whose recorded manifests directory is gone (no such file
    /// or directory: one that cannot be read is not gone) and that no run holds (their lock is free), except
    /// <paramref name="keep"/>, saying each on <paramref name="progress"/>; returns how many. A directory that is not a
    /// run directory (its name is not one <see cref="StateFile.RunDirectory"/> makes), or that records no manifests
    /// directory, is never touched. Each is first renamed, under its lock, to a name no run uses, then deleted: a run of
    /// the same directory that begins meanwhile makes a new run directory, never one half deleted.
    /// </summary>
    public static int PruneOrphans(string root, string keep, TextWriter? progress)
    {
        List<string> candidates;
        try
        {
            candidates = [.. Directory.EnumerateDirectories(root)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        var pruned = 0;
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
                if (!File.Exists(recorded) || File.ReadAllText(recorded) is not { Length: > 0 } manifests || !IsGone(manifests))
                {
                    continue;
                }

                string removed;
                using (var claim = FileClaim.TryAcquire(Path.Combine(candidate, LockName)))
                {
                    if (claim is null || !IsGone(manifests))
                    {
                        continue; // a run holds it, or its directory came back meanwhile
                    }

                    removed = Path.Combine(root, $".removed-{Guid.NewGuid():N}");
                    Directory.Move(candidate, removed);
                }

                Directory.Delete(removed, recursive: true);
                pruned++;
                progress?.WriteLine($"removed run directory {candidate} of {manifests}, which no longer exists");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                progress?.WriteLine($"warning: run directory {candidate}: {e.Message}");
            }
        }

        return pruned;
    }

    /// <summary>Whether nothing is at <paramref name="path"/>: false when it exists or cannot be looked at.</summary>
    private static bool IsGone(string path)
    {
        try
        {
            _ = File.GetAttributes(path);
            return false;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The name <see cref="StateFile.RunDirectory"/> gives a run directory: 12 lower-case hex digits.</summary>
    [GeneratedRegex("^[0-9a-f]{12}$")]
    private static partial Regex RunDirectoryName();
}
