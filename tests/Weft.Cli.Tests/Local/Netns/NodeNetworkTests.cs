using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Cli.Local.Dns;
using Weft.Cli.Local.Netns;
using Weft.Cli.Tests.Infrastructure;
using Weft.Proxy.Capture;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Netns;

/// <summary>
/// The node of the network-namespace mode, for real: a bridge of its own block, pod namespaces wired to it, the pods'
/// resolver files, sockets made inside a pod, capture rules and SO_ORIGINAL_DST, and nothing left afterwards. Every
/// address is inside the test's own block of 198.18.0.0/15 and its own namespaces.
/// </summary>
public sealed class NodeNetworkTests
{
    [NetnsFact]
    public async Task A_pod_namespace_has_its_address_a_route_to_the_Service_range_through_the_gateway_and_no_default_route()
    {
        await using var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        var address = PodAddress(node, 2);
        await using var pod = await node.AddPodAsync("shop", "client-1", address, CancellationToken.None);

        var addresses = (await CommandRun.RunCheckedAsync("ip", "-n", pod.Name, "-4", "-o", "addr", "show", "dev", "eth0")).Stdout;
        Assert.Contains($"inet {address}/24", addresses, StringComparison.Ordinal);
        var routes = (await CommandRun.RunCheckedAsync("ip", "-n", pod.Name, "-4", "route")).Stdout;
        Assert.Contains($"{node.Block.ServiceCidr} via {node.Block.Gateway} dev eth0", routes, StringComparison.Ordinal);
        Assert.DoesNotContain("default", routes, StringComparison.Ordinal);

        // IPv4 only, as the capture rules: no IPv6 address on eth0 (a link-local one would be a way around them).
        Assert.Equal("", (await CommandRun.RunCheckedAsync("ip", "-n", pod.Name, "-6", "-o", "addr", "show", "dev", "eth0")).Stdout.Trim());
        Assert.Equal($"{node.Block.PodCidr} proto kernel scope link src {node.Block.Gateway}",
            (await CommandRun.RunCheckedAsync("ip", "-4", "route", "show", "dev", node.Block.BridgeName)).Stdout.Trim());

        // kubelet's files, in place of /etc's for what ip netns exec starts.
        var hosts = await CommandRun.RunCheckedAsync("ip", "netns", "exec", pod.Name, "cat", "/etc/hosts", "/etc/resolv.conf");
        Assert.Contains($"{address}\tclient-1", hosts.Stdout, StringComparison.Ordinal);
        Assert.Contains($"nameserver {node.Block.Gateway}", hosts.Stdout, StringComparison.Ordinal);
        Assert.Contains("search shop.svc.cluster.local svc.cluster.local cluster.local", hosts.Stdout, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task Two_pods_reach_each_other_and_the_host_reaches_both_over_the_bridge()
    {
        await using var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        await using var a = await node.AddPodAsync("shop", "a", PodAddress(node, 2), CancellationToken.None);
        await using var b = await node.AddPodAsync("shop", "b", PodAddress(node, 3), CancellationToken.None);
        using var inA = NetworkNamespace.Open(a.Name);
        using var inB = NetworkNamespace.Open(b.Name);

        // A listener in b, made inside b's namespace; a connects from inside a; the host connects from the host.
        using var listener = await inB.CreateTcpSocketAsync();
        listener.Bind(new IPEndPoint(b.Address, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        using (var fromA = await inA.ConnectAsync(new IPEndPoint(b.Address, port), Timeout()))
        using (var accepted = await listener.AcceptAsync(Timeout()))
        {
            Assert.Equal(a.Address, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
        }

        using var fromHost = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await fromHost.ConnectAsync(new IPEndPoint(b.Address, port), Timeout());
        using var fromHostAccepted = await listener.AcceptAsync(Timeout());
        Assert.Equal(node.Block.Gateway, ((IPEndPoint)fromHostAccepted.RemoteEndPoint!).Address);
    }

    [NetnsFact]
    public async Task A_ClusterIP_is_a_local_address_of_the_node_that_pods_reach_through_the_gateway()
    {
        await using var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        await using var pod = await node.AddPodAsync("shop", "client", PodAddress(node, 2), CancellationToken.None);
        using var inPod = NetworkNamespace.Open(pod.Name);
        var clusterIP = node.Block.Services.Address(7);

        // What the local kube-proxy does: listen on ClusterIP:port in the host's namespace.
        using var kubeProxy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        kubeProxy.Bind(new IPEndPoint(clusterIP, 0));
        kubeProxy.Listen();
        using var client = await inPod.ConnectAsync((IPEndPoint)kubeProxy.LocalEndPoint!, Timeout());
        using var accepted = await kubeProxy.AcceptAsync(Timeout());

        Assert.Equal(pod.Address, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
    }

    [NetnsFact]
    public async Task An_app_in_a_pod_resolves_Service_names_through_glibc_its_resolv_conf_and_the_gateways_DNS_answerer()
    {
        await using var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        await using var pod = await node.AddPodAsync("shop", "client", PodAddress(node, 2), CancellationToken.None);
        await using var server = ClusterDnsServer.Start(new IPEndPoint(node.Block.Gateway, 53), Store().Snapshot);

        Assert.Equal(CartInShop, await GetentAsync(pod, "cart"));
        Assert.Equal(CartInShop, await GetentAsync(pod, "cart.shop.svc.cluster.local"));
        Assert.Equal(CartInWeb, await GetentAsync(pod, "cart.web"));
        Assert.Equal(DbReady, await GetentAsync(pod, "db"));
        var missing = await CommandRun.RunAsync("ip", ["netns", "exec", pod.Name, "getent", "ahostsv4", "nosuch"]);
        Assert.True(missing.ExitCode == 2, $"getent ahostsv4 nosuch: exit {missing.ExitCode} (2 is \"not found\"), output {missing.Stdout}");

        // The same over TCP, as glibc asks after a truncated answer (use-vc makes it ask over TCP from the start).
        await File.AppendAllTextAsync(Path.Combine(pod.ResolverDirectory, "resolv.conf"), "options use-vc\n");
        Assert.Equal(CartInShop, await GetentAsync(pod, "cart"));

        // And weft curl's stub resolver, asking from a socket inside the pod, gets the same answers.
        using var inPod = NetworkNamespace.Open(pod.Name);
        var stub = new DnsStubResolver(inPod.CreateSocketAsync, new IPEndPoint(node.Block.Gateway, 53));
        Assert.Equal(CartInShop, string.Join(' ', await stub.ResolveAsync("cart", "shop", Timeout())));
        Assert.Equal(DbReady, string.Join(' ', (await stub.ResolveAsync("db", "shop", Timeout())).Select(a => a.ToString()).Order(StringComparer.Ordinal)));
        Assert.Empty(await stub.ResolveAsync("nosuch", "shop", Timeout()));
    }

    [NetnsFact]
    public async Task With_weft_init_s_rules_an_apps_connection_reaches_the_outbound_listener_with_its_original_destination()
    {
        await using var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        await using var pod = await node.AddPodAsync("shop", "client", PodAddress(node, 2), CancellationToken.None);
        var weft = Weft.Cli.Local.WeftLauncher.Current().Command(Weft.Cli.Local.NetnsSandbox.InitArguments);
        await CommandRun.RunCheckedAsync("ip", ["netns", "exec", pod.Name, CommandRun.Which(weft.FileName), .. weft.Arguments]);
        using var inPod = NetworkNamespace.Open(pod.Name);

        // The sidecar's outbound listener on 127.0.0.1:15001, where REDIRECT sends locally made connections.
        using var sidecar = await inPod.CreateTcpSocketAsync();
        sidecar.Bind(new IPEndPoint(IPAddress.Loopback, 15001));
        sidecar.Listen();
        var clusterIP = new IPEndPoint(node.Block.Services.Address(9), 80);
        using var app = await inPod.ConnectAsync(clusterIP, Timeout());
        using var redirected = await sidecar.AcceptAsync(Timeout());

        Assert.Equal(clusterIP, CapturedDestination.Read(redirected));
        Assert.Equal(pod.Address, ((IPEndPoint)redirected.RemoteEndPoint!).Address);

        // A connection made straight to the listener is no redirection: its original destination is where it arrived.
        using var direct = await inPod.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 15001), Timeout());
        using var accepted = await sidecar.AcceptAsync(Timeout());
        Assert.Equal(accepted.LocalEndPoint, CapturedDestination.Read(accepted));
    }

    [NetnsFact]
    public async Task Disposing_the_node_and_its_pods_leaves_no_namespace_link_route_or_resolver_file()
    {
        NetnsBlock block;
        string podName;
        await using (var node = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None))
        {
            block = node.Block;
            await using var pod = await node.AddPodAsync("shop", "client", PodAddress(node, 2), CancellationToken.None);
            podName = pod.Name;
            Assert.Contains(podName, await NetnsJanitor.NetnsNamesAsync(CancellationToken.None));
        }

        Assert.DoesNotContain(await NetnsJanitor.NetnsNamesAsync(CancellationToken.None), n => NetnsJanitor.BlockOfNetns(n) == block.Index);
        Assert.DoesNotContain(await NetnsJanitor.LinkNamesAsync(CancellationToken.None), l => NetnsJanitor.BlockOfLink(l) == block.Index);
        Assert.DoesNotContain(block.ServiceCidr, (await CommandRun.RunCheckedAsync("ip", "-4", "route", "show", "table", "all")).Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(NetnsJanitor.ResolverRoot, podName)));
    }

    [NetnsFact]
    public async Task What_a_dead_run_left_is_removed_by_the_next_start_and_a_live_runs_network_is_not_touched()
    {
        await using var live = await NodeNetwork.StartAsync(NetnsRange.Default, null, CancellationToken.None);
        await using var livePod = await live.AddPodAsync("shop", "alive", PodAddress(live, 2), CancellationToken.None);

        // A dead run's leftovers, made while holding its block (so no other run takes the block meanwhile), then let go
        // as a dead process's lock is: its bridge, a pod namespace with a process still in it, its resolver files.
        var (dead, claim) = Enumerable.Range(0, NetnsRange.Default.BlockCount).OrderBy(_ => Random.Shared.Next())
            .Select(i => (Block: NetnsRange.Default.Block(i), Claim: NetnsBlockLock.TryAcquire(i)))
            .First(c => c.Claim is not null);
        var deadPod = dead.PodNetnsName("shop", "orphan", dead.Pods.Address(9));
        System.Diagnostics.Process? orphan = null;
        try
        {
            using (claim)
            {
                await CommandRun.RunCheckedAsync("ip", "link", "add", dead.BridgeName, "type", "bridge");
                await CommandRun.RunCheckedAsync("ip", "netns", "add", deadPod);
                Directory.CreateDirectory(Path.Combine(NetnsJanitor.ResolverRoot, deadPod));
                orphan = System.Diagnostics.Process.Start("ip", ["netns", "exec", deadPod, "sleep", "300"]);
            }

            await using var next = await NodeNetwork.StartAsync(NetnsRange.Default, new StringWriter(), CancellationToken.None);

            Assert.DoesNotContain(deadPod, await NetnsJanitor.NetnsNamesAsync(CancellationToken.None));
            Assert.False(Directory.Exists(Path.Combine(NetnsJanitor.ResolverRoot, deadPod)));
            Assert.True(orphan.WaitForExit(10_000), "the process left in the dead run's pod was not killed");
            using (var free = NetnsBlockLock.TryAcquire(dead.Index))
            {
                // Gone, unless a run started since and made the block its own (then the bridge is that run's).
                Assert.True(free is null || !(await NetnsJanitor.LinkNamesAsync(CancellationToken.None)).Contains(dead.BridgeName));
            }

            Assert.Contains(livePod.Name, await NetnsJanitor.NetnsNamesAsync(CancellationToken.None));
            Assert.Contains(live.Block.BridgeName, await NetnsJanitor.LinkNamesAsync(CancellationToken.None));
        }
        finally
        {
            if (orphan is { HasExited: false })
            {
                orphan.Kill();
            }

            orphan?.Dispose();
            using var again = NetnsBlockLock.TryAcquire(dead.Index);
            if (again is not null)
            {
                await NetnsJanitor.CleanAsync(dead.Index, CancellationToken.None);
            }
        }
    }

    [NetnsFact]
    public async Task A_range_whose_blocks_all_overlap_a_host_route_is_refused_naming_the_route_and_changes_nothing()
    {
        // A route of the host's over a private /23 that nothing here uses: an 'unreachable' one (it carries no traffic),
        // for as long as the test runs. The range is that /23, so its only block overlaps it.
        var ranges = (await CommandRun.RunCheckedAsync("ip", "-4", "-o", "route", "show", "table", "all")).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(NodeNetwork.HostRoute.TryParse).OfType<NodeNetwork.HostRoute>().ToList();
        var free = Enumerable.Range(0, 128).Select(i => new Weft.Cli.Capture.Ipv4Cidr(0x0AFE0000 + ((uint)i << 9), 23))
            .OrderBy(_ => Random.Shared.Next())
            .First(c => !ranges.Any(r => r.Destination.PrefixLength >= 8 && r.Destination.Overlaps(c)));
        await CommandRun.RunCheckedAsync("ip", "route", "add", "unreachable", free.ToString());
        try
        {
            var range = NetnsRange.Parse(free.ToString());

            var refused = await Assert.ThrowsAsync<NetworkSetupException>(() => NodeNetwork.StartAsync(range, null, CancellationToken.None));

            Assert.Contains($"no free network block in {range.Cidr}: {range.Block(0).PodCidr} or {range.Block(0).ServiceCidr} overlaps the host's route 'unreachable {free}", refused.Message, StringComparison.Ordinal);
            Assert.Contains("choose another range with --netns-range", refused.Message, StringComparison.Ordinal);

            // Nothing made and the block let go: its index can be claimed (unless a run of the default range holds index 0).
            var bridges = await NetnsJanitor.LinkNamesAsync(CancellationToken.None);
            using var claim = NetnsBlockLock.TryAcquire(0);
            Assert.True(claim is null || !bridges.Contains(range.Block(0).BridgeName), "a bridge was left for a refused range");
        }
        finally
        {
            await CommandRun.RunAsync("ip", ["route", "delete", "unreachable", free.ToString()]);
        }
    }

    private static IPAddress PodAddress(NodeNetwork node, int host) => node.Block.Pods.Address((uint)host);

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    private static async Task<string> GetentAsync(PodNetwork pod, string host)
    {
        var run = await CommandRun.RunAsync("ip", ["netns", "exec", pod.Name, "getent", "ahostsv4", host]);
        Assert.True(run.ExitCode == 0, $"getent ahostsv4 {host}: exit {run.ExitCode} {run.Stderr}");
        return string.Join(' ', run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .Distinct()
            .Order(StringComparer.Ordinal));
    }
}
