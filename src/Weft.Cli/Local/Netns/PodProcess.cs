using System.Globalization;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// How a process is started inside a pod's network namespace: <c>ip netns exec POD</c> (its network, and its resolver
/// files mounted over <c>/etc</c>) then <c>setpriv</c> with what its role may do. One home for these, used by the pods'
/// containers (<see cref="NetnsSandbox"/>) and by <c>weft exec</c>.
/// </summary>
internal static class PodProcess
{
    /// <summary>The sidecar's group, which the capture rules spare (and the user id they also spare): Istio's 1337.</summary>
    public const int ProxyGroup = Capture.CaptureOptions.DefaultProxyId;

    /// <summary>Who runs in a pod.</summary>
    public enum Role
    {
        /// <summary><c>weft init</c>, the init container: it writes netfilter rules (NET_ADMIN, NET_RAW), nothing more.</summary>
        Init,

        /// <summary>The sidecar: group <see cref="ProxyGroup"/>, so that its own connections are not captured.</summary>
        Sidecar,

        /// <summary>An app container, or <c>weft exec</c>'s command.</summary>
        App,
    }

    /// <summary><c>ip netns exec NETNS setpriv PRIVILEGES -- COMMAND</c>.</summary>
    public static ContainerCommand InPod(string netns, ContainerCommand command, Role role)
    {
        ArgumentException.ThrowIfNullOrEmpty(netns);
        ArgumentNullException.ThrowIfNull(command);
        return new ContainerCommand("ip", ["netns", "exec", netns, "setpriv", .. Privileges(role), "--", command.FileName, .. command.Arguments]);
    }

    /// <summary>
    /// <c>setpriv</c>'s options for <paramref name="role"/>: the capabilities it may keep, listed (the bounding set is
    /// emptied but for them), with the inheritable and ambient sets emptied too (a root process's capabilities after exec
    /// are its inheritable set or-ed with the bounding set, so an inherited set would keep what the bounding set drops).
    /// <list type="bullet">
    /// <item>Apps keep root (as a container's default user) with a container runtime's default capabilities but
    /// SETUID/SETGID/SETPCAP and NET_RAW: nothing to change their capture rules or routes (NET_ADMIN), leave their
    /// namespace (SYS_ADMIN), read another process's memory or environment such as a sidecar's token (SYS_PTRACE,
    /// PERFMON), take the ids the rules spare, or forge frames on the bridge (NET_RAW: ARP spoofing of the gateway, frames
    /// the sidecar never sees); with no_new_privs a set-id program cannot give them those either.</item>
    /// <item>The sidecar runs as root with group <see cref="ProxyGroup"/> and only what reading the weft binary wherever it
    /// is takes (DAC_OVERRIDE, DAC_READ_SEARCH).</item>
    /// <item>The init step may change netfilter rules (NET_ADMIN, NET_RAW), nothing more.</item>
    /// </list>
    /// </summary>
    public static IReadOnlyList<string> Privileges(Role role) => role switch
    {
        Role.Init => [.. Emptied, Keep("net_admin", "net_raw", "dac_override", "dac_read_search")],
        Role.Sidecar => [$"--regid={ProxyGroup.ToString(CultureInfo.InvariantCulture)}", "--clear-groups", .. Emptied, "--no-new-privs", Keep("dac_override", "dac_read_search")],
        _ => ["--clear-groups", .. Emptied, "--no-new-privs",
            Keep("chown", "dac_override", "fowner", "fsetid", "kill", "net_bind_service", "sys_chroot", "mknod", "audit_write", "setfcap")],
    };

    private static readonly string[] Emptied = ["--inh-caps=-all", "--ambient-caps=-all"];

    private static string Keep(params string[] capabilities) => "--bounding-set=-all," + string.Join(',', capabilities.Select(c => "+" + c));
}
