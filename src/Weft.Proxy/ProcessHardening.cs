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

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int PrCtl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
