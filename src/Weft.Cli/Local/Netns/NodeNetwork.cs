using System.Net;
using Weft.Cli.Capture;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// The node of the network-namespace mode, as a CNI bridge plugin makes it: one bridge per run in the host namespace
/// (<see cref="NetnsBlock.BridgeName"/>) holding the pods' gateway address, with the run's Service range routed locally
/// on it (so the local kube-proxy and the DNS answerer can bind ClusterIPs), and one veth per pod
/// (<see cref="PodNetwork"/>). Pods get routes to the pod and Service ranges only: nothing they send can leave the
/// machine. Bridged traffic skips the host's iptables (<c>nf_call_iptables 0</c>), so a host firewall's FORWARD policy
/// cannot cut pods off from each other. Deleting the bridge deletes its routes; deleting a pod's namespace deletes its
/// veth.
/// </summary>
internal sealed class NodeNetwork : IAsyncDisposable
{
    private readonly IDisposable _claim;
    private bool _disposed;

    private NodeNetwork(NetnsBlock block, IDisposable claim)
    {
        Block = block;
        _claim = claim;
    }

    public NetnsBlock Block { get; }

    /// <summary>
    /// Cleans what crashed runs left, claims a free block whose addresses no host route overlaps, and makes its bridge.
    /// Throws <see cref="NetworkSetupException"/> (having changed nothing) when no block can be used.
    /// </summary>
    public static async Task<NodeNetwork> StartAsync(NetnsRange range, TextWriter? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(range);
        await NetnsJanitor.SweepAsync(progress, ct);
        var routes = await HostRoutesAsync(ct);
        string? overlap = null;
        var busy = 0;
        foreach (var index in Enumerable.Range(0, range.BlockCount).OrderBy(_ => Random.Shared.Next()))
        {
            var claim = NetnsBlockLock.TryAcquire(index);
            if (claim is null)
            {
                busy++;
                continue;
            }

            var block = range.Block(index);
            var conflict = routes.FirstOrDefault(r => r.Destination.PrefixLength >= 8 && (r.Destination.Overlaps(block.Pods) || r.Destination.Overlaps(block.Services)));
            if (conflict is not null)
            {
                overlap ??= $"{block.PodCidr} or {block.ServiceCidr} overlaps the host's route '{conflict.Text}'";
                claim.Dispose();
                continue;
            }

            try
            {
                await NetnsJanitor.CleanAsync(index, ct);
                await CreateBridgeAsync(block, ct);
                return new NodeNetwork(block, claim);
            }
            catch
            {
                await HostProgram.RunAsync("ip", ["link", "delete", block.BridgeName], ct: CancellationToken.None);
                claim.Dispose();
                throw;
            }
        }

        throw new NetworkSetupException(overlap is not null
            ? $"no free network block in {range.Cidr}: {overlap}; choose another range with --netns-range"
            : $"no free network block in {range.Cidr}: all {busy} are in use by running meshes");
    }

    /// <summary>Makes pod <paramref name="podNamespace"/>/<paramref name="podName"/>'s namespace, wired to this node at <paramref name="address"/>.</summary>
    public Task<PodNetwork> AddPodAsync(string podNamespace, string podName, IPAddress address, CancellationToken ct) =>
        PodNetwork.CreateAsync(Block, podNamespace, podName, address, ct);

    /// <summary>Deletes the bridge (its routes go with it). Pods are deleted by their owners first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // Whatever a pod left (it should have deleted its own) goes too, while the block is still ours.
            await NetnsJanitor.CleanAsync(Block.Index, CancellationToken.None);
        }
        finally
        {
            _claim.Dispose();
        }
    }

    private static async Task CreateBridgeAsync(NetnsBlock block, CancellationToken ct)
    {
        await HostProgram.RunOrThrowAsync("ip", ["link", "add", block.BridgeName, "type", "bridge", "nf_call_iptables", "0", "nf_call_ip6tables", "0", "nf_call_arptables", "0"], ct: ct);

        // The node speaks IPv4 only on the bridge, like the pods (PodNetwork): with no IPv6 address here, the host has no
        // IPv6 way into a pod even if a pod's app turns IPv6 back on for itself.
        DisableIPv6(block.BridgeName);
        await HostProgram.RunOrThrowAsync("ip", ["-batch", "-"], string.Join('\n',
            $"addr add {block.Gateway}/24 dev {block.BridgeName}",
            $"link set {block.BridgeName} up",
            $"route add local {block.ServiceCidr} dev {block.BridgeName} table local") + "\n", ct);
    }

    /// <summary>Whether this kernel has IPv6 at all (not booted with <c>ipv6.disable=1</c>).</summary>
    public static bool HasIPv6 => Directory.Exists("/proc/sys/net/ipv6/conf");

    private static void DisableIPv6(string device)
    {
        if (HasIPv6)
        {
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{device}/disable_ipv6", "1\n");
        }
    }

    /// <summary>
    /// The host's IPv4 routes in every table, but the default ones, which overlap everything by design. Routes shorter
    /// than /8 are ignored when looking for overlaps for the same reason (a VPN's 0.0.0.0/1 and 128.0.0.0/1 stand in for
    /// its default route; the bridge's own /24 is more specific than them).
    /// </summary>
    private static async Task<IReadOnlyList<HostRoute>> HostRoutesAsync(CancellationToken ct)
    {
        var output = await HostProgram.RunOrThrowAsync("ip", ["-4", "-o", "route", "show", "table", "all"], ct: ct);
        var routes = new List<HostRoute>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (HostRoute.TryParse(line) is { } route)
            {
                routes.Add(route);
            }
        }

        return routes;
    }

    /// <summary>One line of <c>ip -o route show table all</c>: its destination prefix.</summary>
    internal sealed record HostRoute(Ipv4Cidr Destination, string Text)
    {
        private static readonly HashSet<string> Types = new(StringComparer.Ordinal)
        {
            "unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast",
        };

        public static HostRoute? TryParse(string line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var i = words.Length > 0 && Types.Contains(words[0]) ? 1 : 0;
            if (i >= words.Length || words[i] == "default")
            {
                return null;
            }

            return Ipv4Cidr.TryParse(words[i], out var destination, out _) ? new HostRoute(destination, line) : null;
        }
    }
}
