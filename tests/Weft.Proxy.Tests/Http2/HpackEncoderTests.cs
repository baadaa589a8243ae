using System.Buffers;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// The stateless encoder: static table matches as one byte (RFC 7541 6.1), literals without indexing (6.2.2) and never
/// indexed (6.2.3) that the decoder reads back, Huffman only when shorter (5.2), and the fields it must refuse.
/// </summary>
public sealed class HpackEncoderTests
{
    [Theory]
    [InlineData(":method", "GET", 0x82)]
    [InlineData(":method", "POST", 0x83)]
    [InlineData(":scheme", "https", 0x87)]
    [InlineData(":path", "/", 0x84)]
    [InlineData(":status", "500", 0x8e)]
    [InlineData("accept-encoding", "gzip, deflate", 0x90)]
    public void Static_table_full_match_is_one_indexed_byte(string name, string value, byte expected)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode(name, value, output);
        Assert.Equal([expected], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void EncodeIndexed_writes_the_static_index()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.EncodeIndexed(2, output);
        HpackEncoder.EncodeIndexed(7, output);
        HpackEncoder.EncodeIndexed(61, output);
        Assert.Equal("8287bd", Convert.ToHexStringLower(output.WrittenSpan));
        Assert.Equal([":method: GET", ":scheme: https", "www-authenticate: "], Decode(output));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(62)]
    public void EncodeIndexed_outside_the_static_table_throws(int index) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackEncoder.EncodeIndexed(index, new ArrayBufferWriter<byte>()));

    [Fact]
    public void Static_name_with_another_value_is_a_literal_without_indexing_naming_the_index()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode(":path", "/sample/path", output);
        Assert.Equal(0x04, output.WrittenSpan[0]);
        Assert.Equal([":path: /sample/path"], Decode(output));
    }

    [Fact]
    public void Name_index_above_14_takes_a_continuation_byte()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode("user-agent", "weft", output); // index 58: 15 + 43
        Assert.Equal([0x0f, 43], output.WrittenSpan[..2].ToArray());
        Assert.Equal(["user-agent: weft"], Decode(output));
    }

    [Fact]
    public void Unknown_name_is_a_literal_name_without_indexing()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode("custom-key", "custom-header", output);
        Assert.Equal(0x00, output.WrittenSpan[0]);
        Assert.Equal(["custom-key: custom-header"], Decode(output));
    }

    [Fact]
    public void Never_indexed_literals_carry_the_0001_pattern_and_decode_back()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.EncodeNeverIndexed("authorization", "Bearer abc.def", output); // index 23: 15 + 8
        Assert.Equal([0x1f, 8], output.WrittenSpan[..2].ToArray());
        var afterFirst = output.WrittenCount;
        HpackEncoder.EncodeNeverIndexed("x-secret", "s3cr3t", output);
        Assert.Equal(0x10, output.WrittenSpan[afterFirst]);
        HpackEncoder.EncodeNeverIndexed(":method", "GET", output); // a full static match stays a literal
        Assert.Equal(["authorization: Bearer abc.def", "x-secret: s3cr3t", ":method: GET"], Decode(output));
    }

    [Fact]
    public void Value_is_Huffman_coded_when_shorter()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode(":authority", "www.example.com", output);
        Assert.Equal("018cf1e3c2e5f23a6ba0ab90f4ff", Convert.ToHexStringLower(output.WrittenSpan)); // RFC 7541 C.4.1's bytes
    }

    [Fact]
    public void Value_stays_plain_when_Huffman_is_not_shorter()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode("x-bytes", "\u00ff\u00fe{", output);
        Assert.Equal(3, output.WrittenSpan[^4]); // length 3, no H bit
        Assert.Equal(["x-bytes: \u00ff\u00fe{"], Decode(output));
    }

    [Fact]
    public void Latin1_values_round_trip_as_single_bytes()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode("x-name", "caf\u00e9 \u00a0\u00ff", output);
        Assert.Equal(["x-name: caf\u00e9 \u00a0\u00ff"], Decode(output));
    }

    [Fact]
    public void Long_value_length_takes_continuation_bytes()
    {
        var value = new string('~', 5000); // 13 bits a char in Huffman: stays plain
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode("x-long", value, output);
        Assert.Equal([$"x-long: {value}"], Decode(output));
    }

    [Theory]
    [InlineData("x-name", "euro \u20ac")]
    [InlineData("x-name", "cr \r here")]
    [InlineData("x-name", "lf \n here")]
    [InlineData("x-name", "nul \0 here")]
    [InlineData("x-name\r\nx-injected", "secret-9")]
    [InlineData("x-\u0100", "secret-9")]
    [InlineData("X-Upper", "secret-9")]
    public void Field_HTTP2_cannot_carry_throws_HttpRequestException(string name, string value)
    {
        var output = new ArrayBufferWriter<byte>();
        var thrown = Assert.Throws<HttpRequestException>(() => HpackEncoder.Encode(name, value, output));
        Assert.DoesNotContain(value, thrown.Message, StringComparison.Ordinal);
        Assert.Throws<HttpRequestException>(() => HpackEncoder.EncodeNeverIndexed(name, value, output));
        Assert.Equal(0, output.WrittenCount);
    }

    private static List<string> Decode(ArrayBufferWriter<byte> output) =>
        HeaderList.Decode(new HpackDecoder(), output.WrittenSpan.ToArray());
}
