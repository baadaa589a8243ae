using System.Globalization;

namespace Weft.Tests.Shared;

/// <summary>
/// The processes a weft process started (<c>weft up</c>'s pods and control plane, a test's local mesh), found in /proc by
/// the <c>WEFT_PARENT_PID</c> every child gets, with their environment and command line for telling them apart. One
/// source, linked into each test project that looks for them.
/// </summary>
internal static class WeftChildProcesses
{
    /// <summary>A child: its environment and command line (split at their NULs), and whether it has exited (a zombie).</summary>
    public sealed record Child(int Pid, string[] Environment, string[] CommandLine, bool Exited)
    {
        /// <summary>A pod's sidecar: <c>weft proxy …</c> (JIT), or the native <c>weft-proxy</c> binary.</summary>
        public bool IsSidecar => CommandLine.Contains("proxy") || (CommandLine.Length > 0 && Path.GetFileName(CommandLine[0]) == "weft-proxy");
    }

    /// <summary>The children of <paramref name="parentPid"/> now; one gone meanwhile, or not readable, is left out.</summary>
    public static IReadOnlyList<Child> Of(int parentPid)
    {
        var parent = $"WEFT_PARENT_PID={parentPid.ToString(CultureInfo.InvariantCulture)}";
        var found = new List<Child>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (environment.Contains(parent))
                {
                    found.Add(new Child(
                        pid,
                        environment,
                        File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'),
                        File.ReadAllText(Path.Combine(dir, "stat")).Contains(") Z", StringComparison.Ordinal)));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours.
            }
        }

        return found;
    }
}
