using System.Diagnostics;

namespace Weft.Tests.Shared;

/// <summary>
/// Looking at a process of a test's from outside it: whether it still runs, and waiting for a moment to look. One source,
/// linked into each test project that stops processes (<c>&lt;Compile Include="../Shared/ProcessWatch.cs" /&gt;</c>).
/// </summary>
internal static class ProcessWatch
{
    /// <summary>Whether the process runs (not gone, not a zombie waiting to be reaped).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    /// <summary>Waits until <paramref name="clock"/> reads <paramref name="at"/>: to look at a process at a point in time, not to synchronise.</summary>
    public static async Task WaitUntilAsync(Stopwatch clock, TimeSpan at)
    {
        if (at > clock.Elapsed)
        {
            await Task.Delay(at - clock.Elapsed);
        }
    }
}
