namespace Weft.Cli.Local;

/// <summary>How the local cluster keeps pods apart (DESIGN "Local mode: a one-machine cluster").</summary>
internal enum Isolation
{
    /// <summary>Pods are processes on loopback addresses; apps reach their sidecar through proxy settings.</summary>
    Process,

    /// <summary>Each pod is a network namespace on a bridge; its traffic is captured by iptables (<c>weft init</c>).</summary>
    Netns,
}

/// <summary>The isolations' names, as <c>--isolation</c> takes them and the state file records them.</summary>
internal static class IsolationNames
{
    public const string Process = "process";
    public const string Netns = "netns";

    /// <summary><c>--isolation auto</c>: network namespaces where possible.</summary>
    public const string Auto = "auto";

    public static string NameOf(Isolation isolation) => isolation == Isolation.Netns ? Netns : Process;
}
