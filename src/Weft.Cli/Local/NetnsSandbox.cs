using System.Net;
using System.Net.Sockets;
using Weft.Cli.Local.Netns;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// A pod as on a Kubernetes node: a network namespace of its own on the node's bridge (<see cref="PodNetwork"/>), its
/// capture rules written by the injected init container (<c>weft init</c>) run inside it before anything else, then the sidecar
/// and the apps started inside it with <c>ip netns exec</c> (which also gives them the pod's resolv.conf and hosts).
/// What each may do is <see cref="PodProcess"/>'s: the sidecar runs with the group the capture rules spare, so its own
/// connections are not captured; the apps cannot change their rules, leave their namespace or take the sidecar's ids.
/// (They do run as root on the host's filesystem: the namespace isolates the pod's network, not its files.) An app
/// knows nothing of the mesh: no proxy setting, its packets are captured.
/// </summary>
internal sealed class NetnsSandbox(NodeNetwork node, string podNamespace, string podName, IPAddress podIp, LocalClusterOptions options) : PodSandbox
{
    private static readonly TimeSpan InitLimit = TimeSpan.FromSeconds(60);

    private PodNetwork? _network;
    private NetworkNamespace? _netns;

    public override string? NetnsName => _network?.Name ?? node.Block.PodNetnsName(podNamespace, podName, podIp);

    public override IReadOnlyList<string> SidecarArguments => [ProxyFlags.Capture];

    /// <summary>
    /// <c>weft init</c>'s arguments for a pod of the local cluster: the defaults, which are the sidecar's ports and its
    /// group (<see cref="PodProcess.ProxyGroup"/>), spelled out.
    /// </summary>
    public static IReadOnlyList<string> InitArguments => Capture.CaptureOptions.Default.ToArguments();

    public override async Task PrepareAsync(ContainerCommand? init, CancellationToken ct)
    {
        // Again after a failure: the network stays once made; the init step runs again (it is idempotent).
        _network ??= await node.AddPodAsync(podNamespace, podName, podIp, ct);
        _netns ??= NetworkNamespace.Open(_network.Name);
        if (init is null)
        {
            return;
        }

        var log = Path.Combine(options.LogDirectory, $"{podNamespace}_{podName}_weft-init.log");
        await using var process = ChildProcess.Start("weft-init", PodProcess.InPod(NetnsName!, init, PodProcess.Role.Init),
            new Dictionary<string, string?>(StringComparer.Ordinal), log);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(InitLimit);
        try
        {
            await process.Exited.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new NetworkSetupException($"init container weft-init did not finish within {InitLimit.TotalSeconds:0}s (log {log})");
        }

        if (process.ExitCode != 0)
        {
            throw new NetworkSetupException($"init container weft-init exited with code {process.ExitCode}: {string.Join(" ", process.Tail().TakeLast(3))} (log {log})");
        }
    }

    public override ContainerCommand Wrap(ContainerCommand command, bool sidecar) =>
        PodProcess.InPod(NetnsName!, command, sidecar ? PodProcess.Role.Sidecar : PodProcess.Role.App);

    public override IEnumerable<KeyValuePair<string, string?>> ProxyEnvironment(bool sidecar) =>
        ProxyVariables(null).Concat([new("NO_PROXY", null), new("no_proxy", null)]);

    public override Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken ct) =>
        _netns?.ConnectAsync(endpoint, ct) ?? Task.FromException<Socket>(new InvalidOperationException($"pod {podNamespace}/{podName} has no network yet"));

    public override async ValueTask DisposeAsync()
    {
        _netns?.Dispose();
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }
    }
}
