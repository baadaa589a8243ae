using System.Net;
using Weft.Cli.Local.Dns;
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
        var query = DnsStubResolver.Query(0x1234, name)!;
        var response = new byte[DnsMessage.MaxUdpLength];

        var length = DnsMessage.Respond(query, response, Names, DnsTransport.Udp);

        var addresses = DnsStubResolver.Answers(response.AsSpan(0, length), 0x1234);
        Assert.Equal(expected, string.Join(' ', addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void An_answer_to_another_query_or_cut_short_gives_no_address()
    {
        var response = new byte[DnsMessage.MaxUdpLength];
        var length = DnsMessage.Respond(DnsStubResolver.Query(7, "cart.shop.svc.cluster.local.")!, response, Names, DnsTransport.Udp);

        Assert.Empty(DnsStubResolver.Answers(response.AsSpan(0, length), 8));
        for (var cut = 0; cut < length; cut++)
        {
            Assert.True(DnsStubResolver.Answers(response.AsSpan(0, cut), 7).Count <= 1);
        }
    }

    [Fact]
    public async Task A_name_with_an_empty_or_overlong_label_is_not_asked_and_an_IP_literal_is_itself()
    {
        Assert.Null(DnsStubResolver.Query(1, "a..b."));
        Assert.Null(DnsStubResolver.Query(1, new string('a', 64) + ".svc."));
        var noSocket = new DnsStubResolver((_, _) => throw new InvalidOperationException("no query expected"), new IPEndPoint(IPAddress.Loopback, 53));
        Assert.Equal(IPAddress.Parse("10.0.0.1"), Assert.Single(await noSocket.ResolveAsync("10.0.0.1", "shop", CancellationToken.None)));
    }
}
