using System.Net;
using Weft.Cli.Local.Dns;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>The real thing: glibc's resolver in a pod's network namespace, reading the pod's resolv.conf, asking the server.</summary>
public sealed class ClusterDnsGlibcTests
{
    [NetnsFact]
    public async Task An_app_in_a_pod_namespace_resolves_Service_names_through_glibc_and_the_pods_resolv_conf()
    {
        await using var pod = await PodNetworkNamespace.CreateAsync();
        await using var server = ClusterDnsServer.Start(new IPEndPoint(pod.HostAddress, 53), Store().Snapshot);
        await pod.WriteResolvConfAsync(ClusterDnsNames.ResolvConf("shop", pod.HostAddress));

        Assert.Equal(CartInShop, await GetentAsync(pod, "cart"));
        Assert.Equal(CartInShop, await GetentAsync(pod, "cart.shop.svc.cluster.local"));
        Assert.Equal(CartInWeb, await GetentAsync(pod, "cart.web"));
        Assert.Equal(DbReady, await GetentAsync(pod, "db"));

        var (exitCode, output, _) = await pod.ExecAsync("getent", "ahostsv4", "nosuch");
        Assert.True(exitCode == 2, $"getent ahostsv4 nosuch: exit {exitCode} (2 is \"not found\"), output {output}");

        // The same over TCP, as glibc asks after a truncated answer (use-vc makes it ask over TCP from the start).
        await pod.WriteResolvConfAsync(ClusterDnsNames.ResolvConf("shop", pod.HostAddress) + "options use-vc\n");
        Assert.Equal(CartInShop, await GetentAsync(pod, "cart"));
    }

    /// <summary>The IPv4 addresses glibc's getaddrinfo gives for <paramref name="host"/> inside the pod, sorted, separated by spaces.</summary>
    private static async Task<string> GetentAsync(PodNetworkNamespace pod, string host)
    {
        var (exitCode, output, error) = await pod.ExecAsync("getent", "ahostsv4", host);
        Assert.True(exitCode == 0, $"getent ahostsv4 {host}: exit {exitCode} {error}");
        return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .Distinct()
            .Order(StringComparer.Ordinal));
    }
}
