using System.Globalization;

namespace Weft.Cli;

/// <summary>
/// Makes a child of <c>weft up</c> (a sidecar or an app started as <c>weft proxy</c> / <c>weft echo</c>) exit when its
/// parent is gone, even if the parent was killed without a chance to stop it: the local cluster sets
/// <c>WEFT_PARENT_PID</c>, and this polls whether the process's parent is still that process (on Linux an orphan is
/// re-parented, so <c>/proc/self/stat</c>'s ppid changes; elsewhere it checks that the parent process is alive).
/// </summary>
internal static class ParentWatchdog
{
    public const string Variable = "WEFT_PARENT_PID";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public static void StartIfRequested()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(text) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
        {
            return;
        }

        // Our own children (if any) must not watch us with our parent's pid.
        Environment.SetEnvironmentVariable(Variable, null);
        var thread = new Thread(() => Watch(parent)) { IsBackground = true, Name = "weft parent watchdog" };
        thread.Start();
    }

    private static void Watch(int parent)
    {
        while (true)
        {
            Thread.Sleep(Interval);
            if (!IsParentAlive(parent))
            {
                Console.Error.WriteLine($"weft: parent process {parent} is gone; exiting");
                Environment.Exit(3);
            }
        }
    }

    private static bool IsParentAlive(int parent)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // /proc/self/stat: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
                var stat = File.ReadAllText("/proc/self/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return int.Parse(fields[1], CultureInfo.InvariantCulture) == parent;
            }
            catch (IOException)
            {
                return true;
            }
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(parent);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
