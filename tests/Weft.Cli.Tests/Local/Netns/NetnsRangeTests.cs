using System.Net;
using Weft.Cli.Local.Netns;

namespace Weft.Cli.Tests.Local.Netns;

public sealed class NetnsRangeTests
{
    [Fact]
    public void The_default_range_is_198_18_0_0_15_cut_into_256_blocks_of_a_23()
    {
        Assert.Equal("198.18.0.0/15", NetnsRange.Default.Cidr);
        Assert.Equal(256, NetnsRange.Default.BlockCount);
    }

    [Theory]
    [InlineData(0, "198.18.0.0/24", "198.18.1.0/24", "198.18.0.1")]
    [InlineData(1, "198.18.2.0/24", "198.18.3.0/24", "198.18.2.1")]
    [InlineData(128, "198.19.0.0/24", "198.19.1.0/24", "198.19.0.1")]
    [InlineData(255, "198.19.254.0/24", "198.19.255.0/24", "198.19.254.1")]
    public void A_block_is_a_pod_24_whose_first_address_is_the_gateway_then_a_Service_24(int index, string pods, string services, string gateway)
    {
        var block = NetnsRange.Default.Block(index);

        Assert.Equal(pods, block.PodCidr);
        Assert.Equal(services, block.ServiceCidr);
        Assert.Equal(IPAddress.Parse(gateway), block.Gateway);
    }

    [Fact]
    public void A_blocks_names_carry_its_index_within_the_limits_of_interface_names()
    {
        var block = NetnsRange.Default.Block(255);

        Assert.Equal("wft255", block.BridgeName);
        Assert.Equal("wft255p254", block.VethName(IPAddress.Parse("198.19.254.254")));
        Assert.True(block.VethName(IPAddress.Parse("198.19.254.254")).Length <= 15);
        Assert.Equal("weft-255-7-shop.client-1", block.PodNetnsName("shop", "client-1", IPAddress.Parse("198.19.254.7")));
        Assert.Equal(200, block.PodNetnsName("ns", new string('a', 300), IPAddress.Parse("198.19.254.7")).Length);
    }

    [Theory]
    [InlineData("10.99.0.0/16", 128)]
    [InlineData("10.99.0.0/23", 1)]
    [InlineData("172.16.0.0/12", 2048)]
    [InlineData("100.64.0.0/10", 8192)]
    [InlineData("10.0.0.0/8", 32768)]
    public void Another_range_gives_one_block_per_23(string cidr, int blocks)
    {
        Assert.Equal(blocks, NetnsRange.Parse(cidr).BlockCount);
    }

    [Theory]
    [InlineData("198.18.0.0", "not an IPv4 CIDR")]
    [InlineData("fd00::/64", "not an IPv4 CIDR")]
    [InlineData("198.18.0.1/15", "has host bits set (the network is 198.18.0.0/15)")]
    [InlineData("198.18.0.0/24", "too small")]
    [InlineData("127.0.0.0/8", "not inside a private or test range")]
    [InlineData("224.0.0.0/8", "not inside a private or test range")]
    [InlineData("0.0.0.0/1", "not inside a private or test range")]
    [InlineData("8.8.8.0/23", "not inside a private or test range")]
    [InlineData("169.254.168.0/22", "not inside a private or test range")]
    [InlineData("10.0.0.0/7", "not inside a private or test range")]
    public void A_range_that_cannot_hold_pods_is_refused_saying_why(string cidr, string why)
    {
        var error = Assert.Throws<FormatException>(() => NetnsRange.Parse(cidr));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"--netns-range {cidr}:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.18.0.0/24 dev wft3 proto kernel scope link src 198.18.0.1", "198.18.0.0", 24)]
    [InlineData("local 198.18.1.0/24 dev wft3 table local proto boot scope host", "198.18.1.0", 24)]
    [InlineData("broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2", "192.0.2.255", 32)]
    [InlineData("unreachable 10.0.0.0/8", "10.0.0.0", 8)]
    [InlineData("10.1.2.3 via 192.0.2.1 dev eth0", "10.1.2.3", 32)]
    public void A_host_route_is_read_as_its_destination_prefix(string line, string network, int length)
    {
        var route = NodeNetwork.HostRoute.TryParse(line);

        Assert.NotNull(route);
        Assert.Equal(Weft.Cli.Capture.Ipv4Cidr.ToUInt32(IPAddress.Parse(network)), route.Destination.Network);
        Assert.Equal(length, route.Destination.PrefixLength);
    }

    [Theory]
    [InlineData("default via 192.0.2.1 dev eth0")]
    [InlineData("fe80::/64 dev eth0")]
    [InlineData("")]
    public void Default_routes_and_what_is_not_IPv4_are_not_overlaps(string line) => Assert.Null(NodeNetwork.HostRoute.TryParse(line));

    [Fact]
    public void A_route_overlaps_a_block_when_either_contains_the_other()
    {
        var block = NetnsRange.Default.Block(2);
        var wide = NodeNetwork.HostRoute.TryParse("198.18.0.0/15 dev eth1")!;
        var inside = NodeNetwork.HostRoute.TryParse("198.18.5.7 dev eth1")!;
        var beside = NodeNetwork.HostRoute.TryParse("198.18.6.0/24 dev eth1")!;

        Assert.True(wide.Destination.Overlaps(block.Pods));
        Assert.True(inside.Destination.Overlaps(block.Services));
        Assert.False(beside.Destination.Overlaps(block.Pods) || beside.Destination.Overlaps(block.Services));
    }

    [Theory]
    [InlineData("weft-12-3-shop.client", 12)]
    [InlineData("weft-0-2-a.b", 0)]
    [InlineData("weft-t-0a1b2c", null)]
    [InlineData("weft-12", null)]
    [InlineData("other-12-x", null)]
    public void A_namespace_belongs_to_the_block_its_name_carries(string name, int? block) => Assert.Equal(block, NetnsJanitor.BlockOfNetns(name));

    [Theory]
    [InlineData("wft7", 7)]
    [InlineData("wft7p23", 7)]
    [InlineData("wft", null)]
    [InlineData("wft7x", null)]
    [InlineData("eth0", null)]
    public void A_link_belongs_to_the_block_its_name_carries(string name, int? block) => Assert.Equal(block, NetnsJanitor.BlockOfLink(name));
}
