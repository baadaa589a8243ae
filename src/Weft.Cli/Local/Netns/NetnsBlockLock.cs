using System.Globalization;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// A running mesh's claim on its <see cref="NetnsBlock"/>: an exclusive lock on <c>/run/weft/netns/&lt;index&gt;.lock</c>,
/// held for the run's lifetime and released by the kernel when the process dies, however it dies. A block whose lock
/// can be taken belongs to no live run, so whatever is left of it on the host is a crashed run's (<see cref="NetnsJanitor"/>).
/// </summary>
internal static class NetnsBlockLock
{
    public static string Directory { get; } = Path.Combine("/run", "weft", "netns");

    /// <summary>The lock on block <paramref name="index"/>, or null when a live run holds it.</summary>
    public static IDisposable? TryAcquire(int index)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return FileClaim.TryAcquire(Path.Combine(Directory, index.ToString(CultureInfo.InvariantCulture) + ".lock"));
    }
}
