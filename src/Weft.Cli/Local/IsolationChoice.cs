using Weft.Cli.Local.Netns;

namespace Weft.Cli.Local;

/// <summary>
/// <c>weft up --isolation auto|netns|process</c>: network namespaces when this machine can make them (root, iproute2's
/// <c>ip</c>, <c>iptables</c>, util-linux's <c>setpriv</c>), else process isolation; the line it returns says which and why.
/// </summary>
internal static class IsolationChoice
{
    /// <summary>The isolation to use, or null with the reason when the requested one is not possible here.</summary>
    public static (Isolation? Isolation, string Line) Decide(string requested, Func<string?>? missing = null)
    {
        ArgumentNullException.ThrowIfNull(requested);
        missing ??= MissingForNetns;
        switch (requested)
        {
            case IsolationNames.Process:
                return (Isolation.Process, "isolation: process (asked for): pods are processes on loopback addresses; apps reach their sidecar through proxy settings");
            case IsolationNames.Netns:
                return missing() is { } reason
                    ? (null, $"network namespaces are not possible here: {reason}")
                    : (Isolation.Netns, NetnsLine);
            default:
                return missing() is { } why
                    ? (Isolation.Process, $"isolation: process ({why}): pods are processes on loopback addresses; apps reach their sidecar through proxy settings")
                    : (Isolation.Netns, NetnsLine);
        }
    }

    private const string NetnsLine = "isolation: netns: each pod is a network namespace on a bridge; its traffic is captured by iptables (weft init)";

    /// <summary>
    /// Why this process may not make network namespaces, or null: it must be root with CAP_SYS_ADMIN and CAP_NET_ADMIN
    /// (root in an unprivileged container has neither).
    /// </summary>
    public static string? MissingPrivilege()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return "not root: network namespaces and iptables need root";
        }

        return Capture.ProcessCapabilities.Current() is { } capabilities
            && capabilities.Has(Capture.ProcessCapabilities.SysAdmin) && capabilities.Has(Capture.ProcessCapabilities.NetAdmin)
            ? null
            : "root without CAP_SYS_ADMIN and CAP_NET_ADMIN (an unprivileged container?)";
    }

    /// <summary>What this machine lacks for network namespaces, or null.</summary>
    public static string? MissingForNetns()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces are Linux's";
        }

        if (MissingPrivilege() is { } privilege)
        {
            return privilege;
        }

        if (!HostProgram.Exists("ip"))
        {
            return "iproute2's ip not found (apt-get install iproute2)";
        }

        if (!Capture.IptablesBinaries.Find(Environment.GetEnvironmentVariable("PATH")).AnyRestore)
        {
            return "iptables not found (apt-get install iptables)";
        }

        if (!HostProgram.Exists("setpriv"))
        {
            return "util-linux's setpriv not found (apt-get install util-linux)";
        }

        return !File.Exists("/proc/self/ns/net") ? "this kernel has no network namespaces" : null;
    }
}
