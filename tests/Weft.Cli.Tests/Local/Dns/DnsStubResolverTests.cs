using System.Net;
using Weft.Cli.Local.Dns;
using Weft.Proxy.External;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

public sealed class DnsStubResolverTests
{
    [Theory]
    [InlineData("cart.shop.svc.cluster.local.", CartInShop)]
    [InlineData("db.shop.svc.cluster.local.", DbReady)]
    [InlineData("nosuch.shop.svc.cluster.local.", "")]
    public void A_query_it_writes_is_answered_by_the_cluster_answerer_and_it_reads_the_A_records(string name, string expected)
    {
        var query = DnsQuery.ForAddresses(0x1234, name)!;
        var response = new byte[DnsWire.MaxUdpLength];

        var length = DnsMessage.Respond(query, response, Names, DnsTransport.Udp);

        Assert.True(DnsResponse.TryRead(response.AsSpan(0, length), 0x1234, name, out var reply));
        Assert.Equal(expected, string.Join(' ', reply.Addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal)));
        Assert.Equal(expected.Length == 0 ? DnsWire.NameError : DnsWire.NoError, reply.ResponseCode);
    }

    [Fact]
    public void An_answer_to_another_query_or_question_or_cut_short_is_not_read()
    {
        const string Cart = "cart.shop.svc.cluster.local.";
        var response = new byte[DnsWire.MaxUdpLength];
        var length = DnsMessage.Respond(DnsQuery.ForAddresses(7, Cart)!, response, Names, DnsTransport.Udp);

        Assert.False(DnsResponse.TryRead(response.AsSpan(0, length), 8, Cart, out _));
        Assert.False(DnsResponse.TryRead(response.AsSpan(0, length), 7, "db.shop.svc.cluster.local.", out _));
        for (var cut = 0; cut < length; cut++)
        {
            Assert.False(DnsResponse.TryRead(response.AsSpan(0, cut), 7, Cart, out _));
        }
    }

    [Fact]
    public async Task A_name_with_an_empty_or_overlong_label_is_not_asked_and_an_IP_literal_is_itself()
    {
        Assert.Null(DnsQuery.ForAddresses(1, "a..b."));
        Assert.Null(DnsQuery.ForAddresses(1, new string('a', 64) + ".svc."));
        var noSocket = new DnsStubResolver((_, _) => throw new InvalidOperationException("no query expected"), new IPEndPoint(IPAddress.Loopback, 53));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), Assert.Single(await noSocket.ResolveAsync("10.0.0.1", "shop", CancellationToken.None)));
    }
}
