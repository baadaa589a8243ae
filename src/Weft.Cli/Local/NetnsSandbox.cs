using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weft.Cli.Local.Netns;

namespace Weft.Cli.Local;

/// <summary>
/// A pod as on a Kubernetes node: a network namespace of its own on the node's bridge (<see cref="PodNetwork"/>), its
/// capture rules written by <c>weft init</c> run inside it before anything else (the init container), then the sidecar
/// and the apps started inside it with <c>ip netns exec</c> (which also gives them the pod's resolv.conf and hosts).
/// The sidecar runs with group <see cref="ProxyGroup"/>, the capture rules' exception, so its own connections are not
/// captured; the apps run without <c>CAP_NET_ADMIN</c> and <c>CAP_SYS_ADMIN</c>, so they can neither change their
/// namespace's rules nor leave it. An app knows nothing of the mesh: no proxy setting, its packets are captured.
/// </summary>
internal sealed class NetnsSandbox(NodeNetwork node, string podNamespace, string podName, IPAddress podIp, LocalClusterOptions options) : PodSandbox
{
    /// <summary>The sidecar's group (and the user id the capture rules also exempt): 1337, as Istio's.</summary>
    public const int ProxyGroup = Capture.CaptureOptions.DefaultProxyId;

    private static readonly TimeSpan InitLimit = TimeSpan.FromSeconds(60);

    private PodNetwork? _network;
    private NetworkNamespace? _netns;

    public override string? NetnsName => _network?.Name ?? node.Block.PodNetnsName(podNamespace, podName);

    public override IReadOnlyList<string> SidecarArguments => ["--capture"];

    /// <summary>
    /// <c>weft init</c>'s arguments for a pod of the local cluster: the defaults, which are the sidecar's ports and its
    /// group (the sidecar runs as root with group <see cref="ProxyGroup"/>, so that it can read the weft binary wherever
    /// it is), spelled out.
    /// </summary>
    public static IReadOnlyList<string> InitArguments => Capture.CaptureOptions.Default.ToArguments();

    public override async Task PrepareAsync(bool sidecar, CancellationToken ct)
    {
        _network = await node.AddPodAsync(podNamespace, podName, podIp, ct);
        _netns = NetworkNamespace.Open(_network.Name);
        if (!sidecar)
        {
            return;
        }

        var log = Path.Combine(options.LogDirectory, $"{podNamespace}_{podName}_weft-init.log");
        await using var init = ChildProcess.Start("weft-init", InNamespace(options.Weft.Command(InitArguments), "--bounding-set=-sys_admin"),
            new Dictionary<string, string?>(StringComparer.Ordinal), log);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(InitLimit);
        try
        {
            await init.Exited.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new NetworkSetupException($"init container weft-init did not finish within {InitLimit.TotalSeconds:0}s (log {log})");
        }

        if (init.ExitCode != 0)
        {
            throw new NetworkSetupException($"init container weft-init exited with code {init.ExitCode}: {string.Join(" ", init.Tail().TakeLast(3))} (log {log})");
        }
    }

    public override ContainerCommand Wrap(ContainerCommand command, bool sidecar) =>
        sidecar
            ? InNamespace(command, $"--regid={ProxyGroup.ToString(CultureInfo.InvariantCulture)}", "--clear-groups", "--bounding-set=-net_admin,-sys_admin")
            : InNamespace(command, "--bounding-set=-net_admin,-sys_admin");

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

    /// <summary><c>ip netns exec NAME setpriv OPTIONS -- COMMAND</c>: in the pod's network, with its resolver files.</summary>
    private ContainerCommand InNamespace(ContainerCommand command, params string[] privileges) =>
        new("ip", ["netns", "exec", NetnsName!, "setpriv", .. privileges, "--", command.FileName, .. command.Arguments]);
}
