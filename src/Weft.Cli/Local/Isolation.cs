namespace Weft.Cli.Local;

/// <summary>How the local cluster keeps pods apart (DESIGN "Local mode: a one-machine cluster").</summary>
internal enum Isolation
{
    /// <summary>Pods are processes on loopback addresses; apps reach their sidecar through proxy settings.</summary>
    Process,

    /// <summary>Each pod is a network namespace on a bridge; its traffic is captured by iptables (<c>weft init</c>).</summary>
    Netns,
}
