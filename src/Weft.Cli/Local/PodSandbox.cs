using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local;

/// <summary>
/// Where a pod's processes run and how its app's traffic reaches its sidecar — the kubelet's pod sandbox. Two kinds:
/// <see cref="ProcessSandbox"/> (process isolation: the pod IP is a loopback address of the host, the app gets proxy
/// settings) and <see cref="NetnsSandbox"/> (a network namespace of its own, traffic captured by <c>weft init</c>'s
/// iptables rules).
/// </summary>
internal abstract class PodSandbox : IAsyncDisposable
{
    /// <summary>The pod's network namespace (<c>ip netns</c> name), or null in process isolation.</summary>
    public abstract string? NetnsName { get; }

    /// <summary>Extra <c>weft proxy</c> arguments for this kind of sandbox.</summary>
    public abstract IReadOnlyList<string> SidecarArguments { get; }

    /// <summary>Makes the sandbox ready for the pod's containers: its network, then <paramref name="init"/> (the injected init container, when the pod has one) inside it.</summary>
    public abstract Task PrepareAsync(ContainerCommand? init, CancellationToken ct);

    /// <summary>The command that runs <paramref name="command"/> inside the sandbox, as the sidecar or as an app container.</summary>
    public abstract ContainerCommand Wrap(ContainerCommand command, bool sidecar);

    /// <summary>
    /// The variables that steer an app's traffic to its sidecar (<c>HTTP_PROXY</c> and friends) in process isolation; in a
    /// network namespace none (the capture rules do it) — set to null either way when unused, so that none is inherited
    /// from the user's shell.
    /// </summary>
    public abstract IEnumerable<KeyValuePair<string, string?>> ProxyEnvironment(bool sidecar);

    /// <summary>A TCP connection from the pod's own network to <paramref name="endpoint"/> (readiness probes).</summary>
    public abstract Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    private static readonly string[] ProxyVariableNames = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];

    /// <summary>The proxy variables, all set to <paramref name="value"/> (null: unset).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ProxyVariables(string? value) =>
        ProxyVariableNames.Select(name => new KeyValuePair<string, string?>(name, value));
}
