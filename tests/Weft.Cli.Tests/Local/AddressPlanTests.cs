using System.Net;
using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class AddressPlanTests
{
    private static Service NewService(string name, string? clusterIP = null, string type = "ClusterIP") => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = "ns" },
        Spec = new ServiceSpec { Type = type, ClusterIP = clusterIP, Ports = [new ServicePort { Port = 80 }] },
    };

    [Fact]
    public void Services_get_stable_addresses_in_127_B_1()
    {
        using var plan = new AddressPlan(23);
        var a = plan.ServiceAddress("ns/a");
        var b = plan.ServiceAddress("ns/b");

        Assert.Equal(IPAddress.Parse("127.23.1.1"), a);
        Assert.Equal(IPAddress.Parse("127.23.1.2"), b);
        Assert.Equal(a, plan.ServiceAddress("ns/a"));
    }

    [Fact]
    public void Pods_get_distinct_addresses_from_127_B_2()
    {
        using var plan = new AddressPlan(42);
        var addresses = Enumerable.Range(0, 300).Select(_ => plan.AllocatePodAddress()).ToList();

        Assert.Equal(IPAddress.Parse("127.42.2.1"), addresses[0]);
        Assert.Equal(IPAddress.Parse("127.42.2.254"), addresses[253]);
        Assert.Equal(IPAddress.Parse("127.42.3.1"), addresses[254]);
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
    }

    [Fact]
    public void A_released_pod_address_is_not_reused_before_the_range_wraps()
    {
        using var plan = new AddressPlan(42);
        var first = plan.AllocatePodAddress();
        plan.ReleasePodAddress(first);

        Assert.NotEqual(first, plan.AllocatePodAddress());
    }

    [Fact]
    public void Admission_allocates_a_ClusterIP_when_unset()
    {
        using var plan = new AddressPlan(30);
        var admitted = (Service)plan.Admit(NewService("echo"));

        Assert.Equal("127.30.1.1", admitted.Spec.ClusterIP);
        Assert.Equal(["127.30.1.1"], admitted.Spec.ClusterIPs);
    }

    [Fact]
    public void Admission_replaces_a_ClusterIP_outside_127_0_0_0_8()
    {
        using var plan = new AddressPlan(30);
        var admitted = (Service)plan.Admit(NewService("echo", "10.96.0.10"));

        Assert.Equal("127.30.1.1", admitted.Spec.ClusterIP);
    }

    [Fact]
    public void Admission_keeps_a_loopback_ClusterIP()
    {
        using var plan = new AddressPlan(30);
        var admitted = (Service)plan.Admit(NewService("echo", "127.99.1.7"));

        Assert.Equal("127.99.1.7", admitted.Spec.ClusterIP);
    }

    [Fact]
    public void Admission_is_stable_for_the_same_Service()
    {
        using var plan = new AddressPlan(30);
        plan.Admit(NewService("other"));

        Assert.Equal(((Service)plan.Admit(NewService("echo"))).Spec.ClusterIP, ((Service)plan.Admit(NewService("echo"))).Spec.ClusterIP);
    }

    [Fact]
    public void Admission_leaves_headless_and_ExternalName_Services_alone()
    {
        using var plan = new AddressPlan(30);

        Assert.Equal("None", ((Service)plan.Admit(NewService("headless", "None"))).Spec.ClusterIP);
        Assert.Null(((Service)plan.Admit(NewService("external", type: "ExternalName"))).Spec.ClusterIP);
    }

    [Fact]
    public void Pick_chooses_a_block_in_16_to_250_and_two_runs_never_share_one()
    {
        var locks = Directory.CreateTempSubdirectory("weft-blocks-").FullName;
        try
        {
            using var a = AddressPlan.Pick(new Random(7), locks);
            using var b = AddressPlan.Pick(new Random(7), locks);

            Assert.InRange(a.Block, 16, 250);
            Assert.InRange(b.Block, 16, 250);
            Assert.NotEqual(a.Block, b.Block);
        }
        finally
        {
            Directory.Delete(locks, recursive: true);
        }
    }

    [Fact]
    public void In_a_netns_block_pods_take_2_to_254_of_the_pod_24_and_Services_the_Service_24()
    {
        using var plan = new AddressPlan(Weft.Cli.Local.Netns.NetnsRange.Default.Block(3));

        Assert.Equal(IPAddress.Parse("198.18.6.2"), plan.AllocatePodAddress());
        Assert.Equal(IPAddress.Parse("198.18.7.1"), plan.ServiceAddress("ns/a"));
        Assert.Equal("198.18.6.0/24", plan.PodCidr);
        Assert.Equal("198.18.7.0/24", plan.ServiceCidr);
        Assert.Equal(253, plan.PodCapacity);
    }

    [Fact]
    public void In_a_netns_block_the_254th_pod_gets_no_address_until_one_is_released()
    {
        using var plan = new AddressPlan(Weft.Cli.Local.Netns.NetnsRange.Default.Block(3));
        var addresses = Enumerable.Range(0, 253).Select(_ => plan.AllocatePodAddress()).ToList();

        Assert.Equal(IPAddress.Parse("198.18.6.254"), addresses[^1]);
        Assert.False(plan.TryAllocatePodAddress(out _));
        var error = Assert.Throws<InvalidOperationException>(plan.AllocatePodAddress);
        Assert.Equal("the local cluster has no pod address left in 198.18.6.0/24 (253 pods at most)", error.Message);

        plan.ReleasePodAddress(addresses[10]);
        Assert.True(plan.TryAllocatePodAddress(out var again));
        Assert.Equal(addresses[10], again);
    }

    [Theory]
    [InlineData(null, "198.18.7.1")]
    [InlineData("10.96.0.10", "198.18.7.1")]
    [InlineData("127.30.1.7", "198.18.7.1")]
    [InlineData("198.18.7.77", "198.18.7.77")]
    public void In_a_netns_block_admission_keeps_only_a_ClusterIP_of_the_blocks_Service_range(string? asked, string admitted)
    {
        using var plan = new AddressPlan(Weft.Cli.Local.Netns.NetnsRange.Default.Block(3));

        Assert.Equal(admitted, ((Service)plan.Admit(NewService("echo", asked))).Spec.ClusterIP);
        Assert.True(plan.IsClusterIP(admitted));
        Assert.False(plan.IsClusterIP("198.18.6.2"));
    }

    [Fact]
    public void A_ClusterIP_a_manifest_keeps_is_not_handed_to_another_Service_and_a_taken_one_is_not_kept()
    {
        using var plan = new AddressPlan(Weft.Cli.Local.Netns.NetnsRange.Default.Block(3));

        var kept = (Service)plan.Admit(NewService("pinned", "198.18.7.1"));
        var next = (Service)plan.Admit(NewService("auto"));
        var clash = (Service)plan.Admit(NewService("clash", "198.18.7.1"));

        Assert.Equal("198.18.7.1", kept.Spec.ClusterIP);
        Assert.Equal("198.18.7.2", next.Spec.ClusterIP);
        Assert.Equal("198.18.7.3", clash.Spec.ClusterIP); // as the API server refuses an allocated address
        Assert.Equal("198.18.7.1", ((Service)plan.Admit(NewService("pinned", "198.18.7.1"))).Spec.ClusterIP); // its own, again
    }
}
