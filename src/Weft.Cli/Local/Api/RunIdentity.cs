using System.Diagnostics;
using System.Globalization;

namespace Weft.Cli.Local.Api;

/// <summary>
/// Which <c>weft up</c> holds the local node (<see cref="KubeletNode"/>): <c>MACHINE/PID/START</c>, the process's start
/// in Unix milliseconds, so that a pid the kernel has given to another process since is not taken for the same run.
/// </summary>
internal static class RunIdentity
{
    public static string Current { get; } = Of(Environment.MachineName, Environment.ProcessId, StartOf(Process.GetCurrentProcess()));

    public static string Of(string machine, int pid, long startUnixMs) =>
        string.Create(CultureInfo.InvariantCulture, $"{machine}/{pid}/{startUnixMs}");

    /// <summary>Whether <paramref name="identity"/> names a run on this machine whose process is gone (a run elsewhere: false, nothing here can tell).</summary>
    public static bool IsGoneFromThisMachine(string identity)
    {
        if (!TryParse(identity, out var machine, out var pid, out var start) || machine != Environment.MachineName)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs(StartOf(process) - start) > 1000;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true; // no such process
        }
    }

    /// <summary>
    /// The machine, pid and start (Unix ms) of an identity <see cref="Of"/> made; false for anything else, a machine name
    /// with characters no host name has among them (a Lease anyone can write, whose machine <c>weft check</c> prints):
    /// letters, digits, '.', '-', and '_' (a Windows computer name may hold one; on Unix the name is the host name's first label).
    /// </summary>
    public static bool TryParse(string identity, out string machine, out int pid, out long startUnixMs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var parts = identity.Split('/');
        machine = parts[0];
        pid = 0;
        startUnixMs = 0;
        return parts.Length == 3 && parts[0].Length > 0 && parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out startUnixMs);
    }

    private static long StartOf(Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
}
