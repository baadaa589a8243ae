using System.Net;
using Weft.Api.Model;
using Weft.Cli.Local.Dns;
using Weft.Proxy.External;
using static Weft.Cli.Tests.Local.Dns.DnsTestCluster;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>The cluster's answers on the wire (RFC 1035 4.1, RFC 6891), byte for byte against hand-written messages.</summary>
public sealed class DnsMessageTests
{
    private static readonly byte[] QueryHeader = [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    private static readonly byte[] CartName = [4, .. "cart"u8, 4, .. "shop"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0];
    private static readonly byte[] TypeA = [0x00, 0x01];
    private static readonly byte[] TypeAaaa = [0x00, 0x1C];
    private static readonly byte[] ClassIn = [0x00, 0x01];

    // QR, AA and the query's RD; opcode QUERY, RA clear.
    private static readonly byte[] AnsweredHeader = [0xBE, 0xEF, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00];
    private static readonly byte[] NoRecordsHeader = [0xBE, 0xEF, 0x85, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    private static readonly byte[] NxDomainHeader = [0xBE, 0xEF, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    private static readonly byte[] FormErr = [0xBE, 0xEF, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    // The name as a pointer to the question (offset 12), type A, class IN, TTL 5, 4 bytes: 127.30.1.5.
    private static readonly byte[] CartARecord = [0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 127, 30, 1, 5];

    private static readonly byte[] OptAdvertising1232 = [0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    private static byte[] Respond(byte[] query, DnsTransport transport = DnsTransport.Udp, ClusterDnsNames? names = null)
    {
        var response = new byte[DnsWire.MaxTcpLength];
        return response[..DnsMessage.Respond(query, response, names ?? Names, transport)];
    }

    private static byte[] Query(byte[] name, byte[] type, byte[]? header = null) => [.. header ?? QueryHeader, .. name, .. type, .. ClassIn];

    [Fact]
    public void A_query_for_a_Service_is_answered_with_its_A_record_naming_the_question_by_pointer() =>
        Assert.Equal([.. AnsweredHeader, .. CartName, .. TypeA, .. ClassIn, .. CartARecord], Respond(Query(CartName, TypeA)));

    [Fact]
    public void An_AAAA_query_for_an_IPv4_Service_is_NOERROR_without_records() =>
        Assert.Equal([.. NoRecordsHeader, .. CartName, .. TypeAaaa, .. ClassIn], Respond(Query(CartName, TypeAaaa)));

    [Fact]
    public void An_AAAA_query_for_a_dual_stack_Service_gets_its_IPv6_ClusterIP()
    {
        byte[] dual = [4, .. "dual"u8, 4, .. "shop"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0];
        var reply = DnsTestClient.Read(Respond(Query(dual, TypeAaaa)));
        Assert.Equal([IPAddress.Parse("fd00::6")], reply.Addresses);
    }

    [Fact]
    public void Another_type_for_a_known_name_is_NOERROR_without_records() =>
        Assert.Equal([.. NoRecordsHeader, .. CartName, 0x00, 0x10, .. ClassIn], Respond(Query(CartName, [0x00, 0x10])));

    [Fact]
    public void An_ANY_query_gets_every_address()
    {
        byte[] dual = [4, .. "dual"u8, 4, .. "shop"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0];
        Assert.Equal([IPAddress.Parse("127.30.1.6"), IPAddress.Parse("fd00::6")], DnsTestClient.Read(Respond(Query(dual, [0x00, 0xFF]))).Addresses);
    }

    [Fact]
    public void An_unknown_name_under_cluster_local_is_NXDOMAIN()
    {
        byte[] nosuch = [6, .. "nosuch"u8, 4, .. "shop"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0];
        Assert.Equal([.. NxDomainHeader, .. nosuch, .. TypeA, .. ClassIn], Respond(Query(nosuch, TypeA)));
    }

    [Fact]
    public void A_name_outside_cluster_local_is_NXDOMAIN_and_not_forwarded()
    {
        byte[] example = [7, .. "example"u8, 3, .. "com"u8, 0];
        Assert.Equal([.. NxDomainHeader, .. example, .. TypeA, .. ClassIn], Respond(Query(example, TypeA)));
    }

    [Fact]
    public void The_question_is_repeated_as_asked_so_0x20_case_mixing_matches()
    {
        byte[] mixed = [4, .. "CaRt"u8, 4, .. "sHoP"u8, 3, .. "SvC"u8, 7, .. "cLuStEr"u8, 5, .. "LOCAL"u8, 0];
        Assert.Equal([.. AnsweredHeader, .. mixed, .. TypeA, .. ClassIn, .. CartARecord], Respond(Query(mixed, TypeA)));
    }

    [Fact]
    public void The_ID_and_a_clear_RD_bit_are_copied()
    {
        byte[] header = [0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        Assert.Equal([0x12, 0x34, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], Respond(Query(CartName, TypeA, header))[..12]);
    }

    [Fact]
    public void A_query_with_an_EDNS_OPT_record_is_answered_with_one()
    {
        byte[] header = [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        byte[] answered = [0xBE, 0xEF, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01];
        Assert.Equal([.. answered, .. CartName, .. TypeA, .. ClassIn, .. CartARecord, .. OptAdvertising1232],
            Respond([.. Query(CartName, TypeA, header), .. OptAdvertising1232]));
    }

    [Fact]
    public void An_EDNS_version_above_0_is_BADVERS()
    {
        byte[] header = [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        byte[] optVersion1 = [0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00];

        // BADVERS is 16: 0 in the header's RCODE, 1 in the OPT record's extended RCODE.
        byte[] badVersion = [0xBE, 0xEF, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        byte[] optExtendedRcode1 = [0x00, 0x00, 0x29, 0x04, 0xD0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00];
        Assert.Equal([.. badVersion, .. CartName, .. TypeA, .. ClassIn, .. optExtendedRcode1], Respond([.. Query(CartName, TypeA, header), .. optVersion1]));
    }

    [Fact]
    public void A_class_other_than_IN_is_REFUSED() =>
        Assert.Equal([0xBE, 0xEF, 0x81, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, .. CartName, .. TypeA, 0x00, 0x03],
            Respond([.. QueryHeader, .. CartName, .. TypeA, 0x00, 0x03]));

    [Fact]
    public void An_opcode_other_than_QUERY_is_NOTIMP()
    {
        byte[] status = [0xBE, 0xEF, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        Assert.Equal([0xBE, 0xEF, 0x91, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], Respond(Query(CartName, TypeA, status)));
    }

    public static TheoryData<string, byte[]> MalformedQueries() => new()
    {
        { "two questions", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, .. CartName, .. TypeA, .. ClassIn, .. CartName, .. TypeA, .. ClassIn] },
        { "no question", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] },
        { "an answer record", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, .. CartName, .. TypeA, .. ClassIn, .. CartARecord] },
        { "a compression pointer as the name", [.. QueryHeader, 0xC0, 0x0C, .. TypeA, .. ClassIn] },
        { "a pointer after a label", [.. QueryHeader, 4, .. "cart"u8, 0xC0, 0x0C, .. TypeA, .. ClassIn] },
        { "a label of 64 octets", [.. QueryHeader, 64, .. new byte[64], 0, .. TypeA, .. ClassIn] },
        { "a name of 257 octets", [.. QueryHeader, .. Labels(63, 63, 63, 63), 0, .. TypeA, .. ClassIn] },
        { "a name without its end", [.. QueryHeader, 4, .. "cart"u8] },
        { "a question without its class", [.. QueryHeader, .. CartName, .. TypeA] },
        { "an OPT record cut short", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, .. CartName, .. TypeA, .. ClassIn, .. OptAdvertising1232[..9]] },
        { "an OPT record whose data overruns", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, .. CartName, .. TypeA, .. ClassIn, .. OptAdvertising1232[..9], 0x00, 0x04, 0x00] },
        { "two OPT records", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, .. CartName, .. TypeA, .. ClassIn, .. OptAdvertising1232, .. OptAdvertising1232] },
        { "an OPT record not owned by the root", [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, .. CartName, .. TypeA, .. ClassIn, 1, (byte)'x', .. OptAdvertising1232] },
    };

    [Theory]
    [MemberData(nameof(MalformedQueries))]
    public void A_malformed_query_with_a_readable_header_is_FORMERR(string malformation, byte[] query)
    {
        Assert.NotEmpty(malformation);
        Assert.Equal(FormErr, Respond(query));
    }

    [Fact]
    public void A_name_of_exactly_255_octets_is_read()
    {
        byte[] name = [.. Labels(63, 63, 63, 61), 0];
        Assert.Equal(255, name.Length);
        Assert.Equal(DnsWire.NameError, DnsTestClient.Read(Respond(Query(name, TypeA))).ResponseCode);
    }

    [Fact]
    public void A_record_after_the_OPT_record_is_stepped_over_even_when_its_name_is_a_pointer()
    {
        byte[] header = [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02];
        byte[] otherRecord = [0xC0, 0x0C, 0x00, 0xFA, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB];
        var reply = DnsTestClient.Read(Respond([.. Query(CartName, TypeA, header), .. OptAdvertising1232, .. otherRecord]));
        Assert.Equal([IPAddress.Parse(CartInShop)], reply.Addresses);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(0)]
    public void A_packet_too_short_for_a_header_gets_no_answer(int length) =>
        Assert.Empty(Respond(Query(CartName, TypeA)[..length]));

    [Fact]
    public void A_response_gets_no_answer()
    {
        byte[] header = [0xBE, 0xEF, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        Assert.Empty(Respond(Query(CartName, TypeA, header)));
    }

    [Fact]
    public void An_answer_too_large_for_512_bytes_of_UDP_is_truncated_without_records()
    {
        var names = BigHeadless(40);
        var query = DnsTestClient.Query(7, "big.shop.svc.cluster.local");
        var reply = DnsTestClient.Read(Respond(query, DnsTransport.Udp, names));
        Assert.True(reply.Truncated);
        Assert.Equal(DnsWire.NoError, reply.ResponseCode);
        Assert.Empty(reply.Addresses);
    }

    [Fact]
    public void The_same_answer_fits_UDP_with_an_EDNS_size_of_1232()
    {
        var reply = DnsTestClient.Read(Respond(DnsTestClient.Query(7, "big.shop.svc.cluster.local", edns: true), DnsTransport.Udp, BigHeadless(40)));
        Assert.False(reply.Truncated);
        Assert.Equal(40, reply.Addresses.Count);
    }

    [Fact]
    public void The_same_answer_is_whole_over_TCP()
    {
        var reply = DnsTestClient.Read(Respond(DnsTestClient.Query(7, "big.shop.svc.cluster.local"), DnsTransport.Tcp, BigHeadless(40)));
        Assert.False(reply.Truncated);
        Assert.Equal(40, reply.Addresses.Count);
    }

    [Fact]
    public void An_answer_too_large_even_for_TCP_is_truncated()
    {
        var reply = DnsTestClient.Read(Respond(DnsTestClient.Query(7, "big.shop.svc.cluster.local"), DnsTransport.Tcp, BigHeadless(5000)));
        Assert.True(reply.Truncated);
        Assert.Empty(reply.Addresses);
    }

    private static byte[] Labels(params int[] lengths) => [.. lengths.SelectMany(n => new[] { (byte)n }.Concat(Enumerable.Repeat((byte)'a', n)))];

    private static ClusterDnsNames BigHeadless(int endpoints) => ClusterDnsNames.From(
        [NewService("shop", "big", "None")],
        [NewSlice("shop", "big", "big-a", [.. Enumerable.Range(0, endpoints).Select(i => ($"10.2.{i / 250}.{i % 250 + 1}", (bool?)true))])]);
}
