using System.Globalization;

namespace Weft.Proxy;

/// <summary>
/// The sidecar process's memory as the OS sees it: how much is resident, and the two ways it gives memory back, after
/// start, after a flood of connections and when idle (<see cref="IdleTrim"/>).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>
    /// One aggressive compacting collection: workstation GC (non-concurrent) otherwise keeps the space it grew to, and
    /// this one also decommits what is free.
    /// </summary>
    public static void Compact() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>
    /// Lets go of the file pages the process can map back (<see cref="StartupPages.Drop"/>), then <see cref="Compact"/>s,
    /// which also takes what reading smaps allocated. Returns the bytes of file pages let go.
    /// </summary>
    public static long GiveBack()
    {
        var dropped = StartupPages.Drop();
        Compact();
        return dropped;
    }

    /// <summary>The process's resident bytes (<c>/proc/self/statm</c>'s second field); 0 where it cannot be read.</summary>
    public static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
                ? pages * Environment.SystemPageSize
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
