using System.Runtime.InteropServices;

namespace Weft.Proxy;

/// <summary>What a sidecar process does to itself before it holds its pod's secrets.</summary>
internal static partial class ProcessHardening
{
    private const int PrSetDumpable = 4;

    /// <summary>
    /// Marks the process not dumpable (<c>prctl(PR_SET_DUMPABLE, 0)</c>): its <c>/proc/PID/environ</c> (the workload token)
    /// and memory (its private key) are then readable only with CAP_SYS_PTRACE, even by processes of its own user, such as
    /// a pod's apps, which run as root without that capability. No core dumps either. Linux only; a no-op elsewhere.
    /// </summary>
    public static void DisableDumping()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = PrCtl(PrSetDumpable, 0, 0, 0, 0);
        }
    }

    private const int RlimitNofile = 7;

    /// <summary>
    /// The process's descriptor limit (the soft RLIMIT_NOFILE; the runtime raised it to the hard limit at start), or null
    /// where it cannot be read (not Linux).
    /// </summary>
    public static long? DescriptorLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<ulong> limit = stackalloc ulong[2];
        unsafe
        {
            fixed (ulong* p = limit)
            {
                return GetRLimit(RlimitNofile, p) == 0 && limit[0] < long.MaxValue ? (long)limit[0] : null;
            }
        }
    }

    /// <summary>
    /// Connection limits for the outbound, inbound and admin listeners that fit in <paramref name="descriptors"/>: a
    /// proxied connection holds two (the client's and its upstream's), an admin one one, and <see cref="ReservedDescriptors"/>
    /// stay for everything else (the runtime, logs, discovery, pooled connections). Null: no limit known, as asked.
    /// </summary>
    public static (int Proxied, int Admin) FitConnections(int proxied, int admin, long? descriptors)
    {
        if (descriptors is not long fds || 4L * proxied + admin + ReservedDescriptors <= fds)
        {
            return (proxied, admin);
        }

        var adminFit = (int)Math.Clamp((fds - ReservedDescriptors) / 16, 4, admin);
        var proxiedFit = (int)Math.Max(8, (fds - ReservedDescriptors - adminFit) / 4);
        return (Math.Min(proxied, proxiedFit), adminFit);
    }

    /// <summary>Descriptors kept out of the connection limits' reach.</summary>
    public const int ReservedDescriptors = 128;

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static unsafe partial int GetRLimit(int resource, ulong* limit);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int PrCtl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
