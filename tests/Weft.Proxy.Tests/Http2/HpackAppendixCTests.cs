using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// RFC 7541 Appendix C, every example: the hex of each header block, the header list it decodes to, and the dynamic
/// table after it (newest entry first) with its size. C.3 to C.6 decode their three blocks on one decoder, as one
/// connection would; C.5 and C.6 with a 256-byte table, so entries are evicted. The data is the RFC's.
/// </summary>
public sealed class HpackAppendixCTests
{
    [Fact]
    public void C2_1_literal_with_indexing_adds_the_field_to_the_dynamic_table()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.2.1",
            "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
            [
                "custom-key: custom-header",
            ],
            [
                "custom-key: custom-header",
            ],
            tableSize: 55);
    }

    [Fact]
    public void C2_2_literal_without_indexing_leaves_the_table_empty()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.2.2",
            "040c2f73616d706c652f70617468",
            [
                ":path: /sample/path",
            ],
            [],
            tableSize: 0);
    }

    [Fact]
    public void C2_3_literal_never_indexed_leaves_the_table_empty()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.2.3",
            "100870617373776f726406736563726574",
            [
                "password: secret",
            ],
            [],
            tableSize: 0);
    }

    [Fact]
    public void C2_4_indexed_field_from_the_static_table()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.2.4",
            "82",
            [
                ":method: GET",
            ],
            [],
            tableSize: 0);
    }

    [Fact]
    public void C3_requests_without_Huffman_share_one_decoder()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.3.1",
            "828684410f7777772e6578616d706c652e636f6d",
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com",
            ],
            [
                ":authority: www.example.com",
            ],
            tableSize: 57);
        Step(
            decoder,
            "C.3.2",
            "828684be58086e6f2d6361636865",
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com",
                "cache-control: no-cache",
            ],
            [
                "cache-control: no-cache",
                ":authority: www.example.com",
            ],
            tableSize: 110);
        Step(
            decoder,
            "C.3.3",
            "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
            [
                ":method: GET",
                ":scheme: https",
                ":path: /index.html",
                ":authority: www.example.com",
                "custom-key: custom-value",
            ],
            [
                "custom-key: custom-value",
                "cache-control: no-cache",
                ":authority: www.example.com",
            ],
            tableSize: 164);
    }

    [Fact]
    public void C4_requests_with_Huffman_share_one_decoder()
    {
        var decoder = new HpackDecoder();
        Step(
            decoder,
            "C.4.1",
            "828684418cf1e3c2e5f23a6ba0ab90f4ff",
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com",
            ],
            [
                ":authority: www.example.com",
            ],
            tableSize: 57);
        Step(
            decoder,
            "C.4.2",
            "828684be5886a8eb10649cbf",
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com",
                "cache-control: no-cache",
            ],
            [
                "cache-control: no-cache",
                ":authority: www.example.com",
            ],
            tableSize: 110);
        Step(
            decoder,
            "C.4.3",
            "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
            [
                ":method: GET",
                ":scheme: https",
                ":path: /index.html",
                ":authority: www.example.com",
                "custom-key: custom-value",
            ],
            [
                "custom-key: custom-value",
                "cache-control: no-cache",
                ":authority: www.example.com",
            ],
            tableSize: 164);
    }

    [Fact]
    public void C5_responses_without_Huffman_evict_from_a_256_byte_table()
    {
        var decoder = new HpackDecoder(maxTableSize: 256);
        Step(
            decoder,
            "C.5.1",
            "4803333032580770726976617465611d4d6f6e2c203231204f63742032303133" +
            "2032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d70" +
            "6c652e636f6d",
            [
                ":status: 302",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "location: https://www.example.com",
            ],
            [
                "location: https://www.example.com",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "cache-control: private",
                ":status: 302",
            ],
            tableSize: 222);
        Step(
            decoder,
            "C.5.2",
            "4803333037c1c0bf",
            [
                ":status: 307",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "location: https://www.example.com",
            ],
            [
                ":status: 307",
                "location: https://www.example.com",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "cache-control: private",
            ],
            tableSize: 222);
        Step(
            decoder,
            "C.5.3",
            "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d" +
            "54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f5049" +
            "5541585157454f49553b206d61782d6167653d333630303b2076657273696f6e" +
            "3d31",
            [
                ":status: 200",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:22 GMT",
                "location: https://www.example.com",
                "content-encoding: gzip",
                "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            ],
            [
                "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
                "content-encoding: gzip",
                "date: Mon, 21 Oct 2013 20:13:22 GMT",
            ],
            tableSize: 215);
    }

    [Fact]
    public void C6_responses_with_Huffman_evict_from_a_256_byte_table()
    {
        var decoder = new HpackDecoder(maxTableSize: 256);
        Step(
            decoder,
            "C.6.1",
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a6" +
            "2d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
            [
                ":status: 302",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "location: https://www.example.com",
            ],
            [
                "location: https://www.example.com",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "cache-control: private",
                ":status: 302",
            ],
            tableSize: 222);
        Step(
            decoder,
            "C.6.2",
            "4883640effc1c0bf",
            [
                ":status: 307",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "location: https://www.example.com",
            ],
            [
                ":status: 307",
                "location: https://www.example.com",
                "date: Mon, 21 Oct 2013 20:13:21 GMT",
                "cache-control: private",
            ],
            tableSize: 222);
        Step(
            decoder,
            "C.6.3",
            "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab" +
            "77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f" +
            "9587316065c003ed4ee5b1063d5007",
            [
                ":status: 200",
                "cache-control: private",
                "date: Mon, 21 Oct 2013 20:13:22 GMT",
                "location: https://www.example.com",
                "content-encoding: gzip",
                "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            ],
            [
                "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
                "content-encoding: gzip",
                "date: Mon, 21 Oct 2013 20:13:22 GMT",
            ],
            tableSize: 215);
    }

    private static void Step(HpackDecoder decoder, string example, string hex, string[] headers, string[] table, int tableSize)
    {
        var decoded = new HeaderList();
        decoder.Decode(Convert.FromHexString(hex), decoded);

        Assert.Equal(headers, decoded.Fields);
        Assert.Equal(table, HeaderList.DynamicTableOf(decoder));
        Assert.True(tableSize == decoder.DynamicTable.Size, $"{example}: table size {decoder.DynamicTable.Size}, the RFC says {tableSize}");
    }
}
