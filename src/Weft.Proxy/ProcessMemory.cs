namespace Weft.Proxy;

/// <summary>
/// The two ways the sidecar process gives memory back to the OS: after start, after a flood of connections and when idle
/// (<see cref="IdleTrim"/>).
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
}
