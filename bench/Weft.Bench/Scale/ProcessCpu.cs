using System.Globalization;

namespace Weft.Bench.Scale;

/// <summary>
/// A process's CPU time (user and system, its ended threads included) in milliseconds, from <c>/proc/PID/stat</c>: in
/// clock ticks, 10 ms steps, so a difference over a push of a few hundred milliseconds is good to a few percent.
/// </summary>
internal static class ProcessCpu
{
    public static double Ms(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // utime and stime are fields 14 and 15, the 12th and 13th after the name; USER_HZ is 100 on Linux.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
