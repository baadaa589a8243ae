using System.Net;
using System.Net.Sockets;
using Weft.Cli.Local.Dns;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>The cluster's names (Kubernetes DNS-Based Service Discovery 1.1.0) and a pod resolver's search over them.</summary>
public sealed class ClusterDnsNamesTests
{
    [Theory]
    [InlineData("cart.shop.svc.cluster.local", CartInShop)]
    [InlineData("cart.web.svc.cluster.local", CartInWeb)]
    [InlineData("CART.Shop.SVC.Cluster.LOCAL", CartInShop)]
    [InlineData("cart.shop.svc.cluster.local.", CartInShop)]
    [InlineData("dual.shop.svc.cluster.local", "127.30.1.6 fd00::6")]
    public void A_Service_name_is_its_ClusterIPs(string name, string expected) =>
        Assert.Equal(expected, Describe(Names.Lookup(name)));

    [Theory]
    [InlineData("db.shop.svc.cluster.local", DbReady)]
    [InlineData("pending.shop.svc.cluster.local", "10.1.0.7")]
    public void A_headless_Service_or_one_without_a_ClusterIP_is_its_ready_endpoint_addresses(string name, string expected) =>
        Assert.Equal(expected, Describe(Names.Lookup(name)));

    [Theory]
    [InlineData("empty.shop.svc.cluster.local")]
    [InlineData("ext.shop.svc.cluster.local")]
    [InlineData("shop.svc.cluster.local")]
    [InlineData("svc.cluster.local")]
    [InlineData("cluster.local")]
    [InlineData("Cluster.Local.")]
    public void A_name_that_exists_without_addresses_is_NODATA(string name) =>
        Assert.Equal("NODATA", Describe(Names.Lookup(name)));

    [Theory]
    [InlineData("nosuch.shop.svc.cluster.local")]
    [InlineData("cart.nosuch.svc.cluster.local")]
    [InlineData("nosuch.svc.cluster.local")]
    [InlineData("x.cart.shop.svc.cluster.local")]
    [InlineData("cart.shop.pod.cluster.local")]
    [InlineData("cart.shop.svc")]
    [InlineData("cart")]
    [InlineData("example.com")]
    [InlineData("cart.shop.svc.cluster.local..")]
    [InlineData("")]
    [InlineData(".")]
    public void Any_other_name_is_NXDOMAIN(string name) =>
        Assert.Equal("NXDOMAIN", Describe(Names.Lookup(name)));

    [Fact]
    public void Names_outside_the_cluster_from_weft_hosts_are_answered_and_a_cluster_name_wins()
    {
        var hosts = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["api.example.test"] = [IPAddress.Parse("127.30.9.1"), IPAddress.Parse("127.30.9.2")],
            ["cart.shop.svc.cluster.local"] = [IPAddress.Parse("127.30.9.3")],
        };
        var names = ClusterDnsNames.From(Objects.OfType<Weft.Api.Model.Service>(), Objects.OfType<Weft.Api.Model.EndpointSlice>(), hosts);

        Assert.Equal("127.30.9.1 127.30.9.2", Describe(names.Lookup("API.example.test.")));
        Assert.Equal(CartInShop, Describe(names.Lookup("cart.shop.svc.cluster.local")));
        Assert.Equal("NXDOMAIN", Describe(names.Lookup("other.example.test")));
    }

    [Fact]
    public void Names_are_read_from_a_store_snapshot() =>
        Assert.Equal(DbReady, Describe(ClusterDnsNames.From(Store().Snapshot()).Lookup("db.shop.svc.cluster.local")));

    [Theory]
    [InlineData("shop", "cart", CartInShop)]
    [InlineData("web", "cart", CartInWeb)]
    [InlineData("other", "cart", "")]
    [InlineData("web", "cart.shop", CartInShop)]
    [InlineData("web", "cart.shop.svc", CartInShop)]
    [InlineData("web", "cart.shop.svc.cluster.local", CartInShop)]
    [InlineData("web", "cart.shop.svc.cluster.local.", CartInShop)]
    [InlineData("web", "CART.SHOP", CartInShop)]
    [InlineData("web", "db.shop", DbReady)]
    [InlineData("web", "dual.shop", "127.30.1.6")]
    [InlineData("web", "empty.shop", "")]
    [InlineData("web", "nosuch", "")]
    [InlineData("web", "example.com", "")]
    [InlineData("shop", "cart.", "")]
    [InlineData("web", "10.9.8.7", "10.9.8.7")]
    [InlineData("web", "::1", "::1")]
    public void A_pod_resolves_a_host_through_its_search_list(string clientNamespace, string host, string expected) =>
        Assert.Equal(expected, string.Join(' ', Names.Resolve(host, clientNamespace)));

    [Fact]
    public void A_pod_asking_for_IPv6_gets_only_IPv6_addresses() =>
        Assert.Equal([IPAddress.Parse("fd00::6")], Names.Resolve("dual.shop", "web", AddressFamily.InterNetworkV6));

    [Theory]
    [InlineData("cart", "cart.web.svc.cluster.local. cart.svc.cluster.local. cart.cluster.local. cart.")]
    [InlineData("cart.shop.svc.cluster.local",
        "cart.shop.svc.cluster.local.web.svc.cluster.local. cart.shop.svc.cluster.local.svc.cluster.local. cart.shop.svc.cluster.local.cluster.local. cart.shop.svc.cluster.local.")]
    [InlineData("a.b.c.d.e.f", "a.b.c.d.e.f. a.b.c.d.e.f.web.svc.cluster.local. a.b.c.d.e.f.svc.cluster.local. a.b.c.d.e.f.cluster.local.")]
    [InlineData("cart.", "cart.")]
    [InlineData("", "")]
    public void Names_asked_follow_the_search_list_with_ndots_5(string host, string expected) =>
        Assert.Equal(expected, string.Join(' ', ClusterDnsNames.QueryNames(host, "web")));

    [Fact]
    public void The_resolv_conf_is_kubelets_for_a_ClusterFirst_pod() =>
        Assert.Equal(
            "nameserver 198.18.5.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            ClusterDnsNames.ResolvConf("shop", IPAddress.Parse("198.18.5.1")));
}
