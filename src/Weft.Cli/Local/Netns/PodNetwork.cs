using System.Net;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// One pod's network namespace, as a CNI plugin wires it (<see cref="NodeNetwork"/>): <c>lo</c>, an <c>eth0</c> with the
/// pod's IPv4 address (and no IPv6) whose peer is on the node's bridge, a route to the run's Service range through the
/// gateway (and no default route), and the pod's own resolver files (<c>/etc/netns/NAME/resolv.conf</c> and <c>hosts</c>, which
/// <c>ip netns exec</c> puts in place of <c>/etc/…</c> for the processes it starts). The capture rules are not made here:
/// the pod's init step (<c>weft init</c>) writes them, as the Kubernetes init container does.
/// </summary>
internal sealed class PodNetwork : IAsyncDisposable
{
    private bool _deleted;

    private PodNetwork(NetnsBlock block, string name, IPAddress address)
    {
        Block = block;
        Name = name;
        Address = address;
    }

    public NetnsBlock Block { get; }

    /// <summary>The namespace's name (<c>ip netns</c>; <c>/run/netns/NAME</c>).</summary>
    public string Name { get; }

    public IPAddress Address { get; }

    public string Veth => Block.VethName(Address);

    /// <summary>Where the pod's resolver files are (<c>/etc/netns/NAME</c>).</summary>
    public string ResolverDirectory => Path.Combine(NetnsJanitor.ResolverRoot, Name);

    public static async Task<PodNetwork> CreateAsync(NetnsBlock block, string podNamespace, string podName, IPAddress address, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(address);
        var pod = new PodNetwork(block, block.PodNetnsName(podNamespace, podName, address), address);
        try
        {
            Directory.CreateDirectory(pod.ResolverDirectory);
            await File.WriteAllTextAsync(Path.Combine(pod.ResolverDirectory, "resolv.conf"), Dns.ClusterDnsNames.ResolvConf(podNamespace, block.Gateway), ct);
            await File.WriteAllTextAsync(Path.Combine(pod.ResolverDirectory, "hosts"), Hosts(address, podName), ct);
            await HostProgram.RunOrThrowAsync("ip", ["netns", "add", pod.Name], ct: ct);
            await HostProgram.RunOrThrowAsync("ip", ["-batch", "-"], string.Join('\n',
                $"link add {pod.Veth} type veth peer name eth0 netns {pod.Name}",
                $"link set {pod.Veth} master {block.BridgeName}",
                $"link set {pod.Veth} up") + "\n", ct);

            // IPv4 only, like the capture rules: an IPv6 link-local address on eth0 would be a way to the app's ports
            // that no rule covers (from the host, or from another pod). Set before eth0 comes up, so it never has one.
            foreach (var device in NodeNetwork.HasIPv6 ? ["eth0", "default"] : Array.Empty<string>())
            {
                await HostProgram.RunOrThrowAsync("ip", ["netns", "exec", pod.Name, "tee", $"/proc/sys/net/ipv6/conf/{device}/disable_ipv6"], "1\n", ct);
            }

            await HostProgram.RunOrThrowAsync("ip", ["-n", pod.Name, "-batch", "-"], string.Join('\n',
                "link set lo up",
                $"addr add {address}/24 dev eth0",
                "link set eth0 up",
                $"route add {block.ServiceCidr} via {block.Gateway} dev eth0") + "\n", ct);
            return pod;
        }
        catch
        {
            await pod.DisposeAsync();
            throw;
        }
    }

    /// <summary>The pod's <c>/etc/hosts</c>, as the kubelet writes it: localhost, and the pod's name at its address.</summary>
    public static string Hosts(IPAddress address, string podName) =>
        $"# weft: pod {podName}\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{address}\t{podName}\n";

    /// <summary>Kills what still runs in the namespace, deletes it (its veth goes with it) and its resolver files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_deleted)
        {
            return;
        }

        _deleted = true;
        await NetnsJanitor.KillProcessesInAsync(Name, CancellationToken.None);

        // The veth first: the kernel frees a deleted namespace (and the veth in it) asynchronously, this is synchronous.
        await HostProgram.RunAsync("ip", ["link", "delete", Veth]);
        await HostProgram.RunAsync("ip", ["netns", "delete", Name]);
        try
        {
            if (Directory.Exists(ResolverDirectory))
            {
                Directory.Delete(ResolverDirectory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
