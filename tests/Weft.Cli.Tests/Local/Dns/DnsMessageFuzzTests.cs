using System.Buffers.Binary;
using Weft.Cli.Local.Dns;
using Weft.Proxy.External;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>
/// Hostile input: any packet a local process can send gets an answer that fits its transport, or none, and never an
/// exception. Seeded, so a failure repeats.
/// </summary>
public sealed class DnsMessageFuzzTests
{
    private static readonly byte[][] ValidQueries =
    [
        DnsTestClient.Query(1, "cart.shop.svc.cluster.local"),
        DnsTestClient.Query(2, "db.shop.svc.cluster.local", DnsWire.TypeAaaa, edns: true),
        DnsTestClient.Query(3, "nosuch.example.com", edns: true),
    ];

    [Fact]
    public void Every_cut_of_a_valid_query_is_FORMERR_or_unanswered()
    {
        var response = new byte[DnsWire.MaxTcpLength];
        foreach (var query in ValidQueries)
        {
            for (var length = 0; length < query.Length; length++)
            {
                var written = DnsMessage.Respond(query.AsSpan(0, length), response, Names, DnsTransport.Udp);
                if (length < DnsWire.HeaderLength)
                {
                    Assert.Equal(0, written);
                }
                else
                {
                    Assert.Equal(DnsWire.FormatError, DnsTestClient.Read(response.AsSpan(0, written)).ResponseCode);
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_packets_never_throw_and_answers_fit_the_transport(bool overTcp)
    {
        var transport = overTcp ? DnsTransport.Tcp : DnsTransport.Udp;
        var random = new Random(1035);
        var response = new byte[DnsWire.MaxTcpLength];
        var limit = transport == DnsTransport.Udp ? DnsWire.MaxEdnsUdpLength : DnsWire.MaxTcpLength;
        for (var i = 0; i < 100_000; i++)
        {
            var query = new byte[random.Next(0, 600)];
            random.NextBytes(query);
            if (query.Length >= DnsWire.HeaderLength && i % 2 == 0)
            {
                // Half look like a query's header, so that parsing goes past it into the question and the records.
                BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(2), (ushort)(query[2] & 0x01));
                BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(4), 1);
                BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(6), 0);
                BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(8), 0);
                BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(10), (ushort)random.Next(0, 4));
            }

            AssertAnswerFits(query, DnsMessage.Respond(query, response, Names, transport), response, limit);
        }
    }

    [Fact]
    public void Mutated_valid_queries_never_throw_and_answers_fit_UDP()
    {
        var random = new Random(6891);
        var response = new byte[DnsWire.MaxTcpLength];
        for (var i = 0; i < 100_000; i++)
        {
            var query = ValidQueries[i % ValidQueries.Length].ToArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                query[random.Next(query.Length)] = (byte)random.Next(256);
            }

            var cut = random.Next(2) == 0 ? query : query[..random.Next(query.Length + 1)];
            AssertAnswerFits(cut, DnsMessage.Respond(cut, response, Names, DnsTransport.Udp), response, DnsWire.MaxEdnsUdpLength);
        }
    }

    private static void AssertAnswerFits(byte[] query, int written, byte[] response, int limit)
    {
        Assert.InRange(written, 0, limit);
        if (written > 0)
        {
            Assert.True(written >= DnsWire.HeaderLength);
            Assert.Equal(query.AsSpan(0, 2).ToArray(), response.AsSpan(0, 2).ToArray());
            Assert.True((response[2] & 0x80) != 0, "an answer is a response");
        }
    }
}
