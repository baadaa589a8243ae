using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// ChunkedScanner follows a chunked body (RFC 9112 7.1) as it streams past and says where it ends, however the bytes are
/// split; it consumes nothing after the end, and rejects malformed framing.
/// </summary>
public sealed class ChunkedScannerTests
{
    private const string Body = "5\r\nhello\r\n1a;name=value;flag\r\nabcdefghijklmnopqrstuvwxyz\r\nB \r\n\r\n012345678\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n";

    [Fact]
    public void A_body_in_one_piece_ends_at_its_last_CRLF()
    {
        var scanner = default(ChunkedScanner);

        Assert.Equal(Body.Length, scanner.Scan(Bytes(Body)));
        Assert.True(scanner.Done);
    }

    [Fact]
    public void A_body_split_at_every_byte_boundary_ends_at_the_same_byte()
    {
        var data = Bytes(Body + "HTTP/1.1 200 OK\r\n");
        for (var split = 0; split <= Body.Length; split++)
        {
            var scanner = default(ChunkedScanner);

            var first = scanner.Scan(data.AsSpan(0, split));
            Assert.Equal(split, first);
            Assert.Equal(split == Body.Length, scanner.Done);
            var second = scanner.Scan(data.AsSpan(split));

            Assert.Equal(Body.Length - split, second);
            Assert.True(scanner.Done, $"split at {split}");
        }
    }

    [Fact]
    public void A_body_fed_one_byte_at_a_time_ends_at_the_same_byte()
    {
        var data = Bytes(Body + "extra");
        var scanner = default(ChunkedScanner);
        var consumed = 0;
        for (var i = 0; i < data.Length && !scanner.Done; i++)
        {
            var n = scanner.Scan(data.AsSpan(i, 1));
            Assert.Equal(1, n);
            consumed += n;
        }

        Assert.True(scanner.Done);
        Assert.Equal(Body.Length, consumed);
    }

    [Fact]
    public void Bytes_after_the_end_are_not_consumed()
    {
        var scanner = default(ChunkedScanner);
        const string Short = "3\r\nabc\r\n0\r\n\r\n";

        Assert.Equal(Short.Length, scanner.Scan(Bytes(Short + "3\r\nabc\r\n0\r\n\r\n")));
        Assert.True(scanner.Done);
        Assert.Equal(0, scanner.Scan(Bytes("more")));
    }

    [Theory]
    [InlineData("0\r\n\r\n")]
    [InlineData("000\r\n\r\n")]
    [InlineData("0;ext=1\r\n\r\n")]
    [InlineData("0\r\nX-Trailer: 1\r\n\r\n")]
    [InlineData("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")]
    [InlineData("0005\r\nhello\r\n0\r\n\r\n")]
    [InlineData("a\r\n0123456789\r\n0\r\n\r\n")]
    [InlineData("A\r\n0123456789\r\n0\r\n\r\n")]
    [InlineData("5;a=\"quoted; value\"\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\t;a\r\nhello\r\n0\r\n\r\n")]
    [InlineData("2\r\n\r\n\r\n0\r\n\r\n")]
    public void Extensions_trailers_and_any_hex_case_are_followed_to_the_end(string body)
    {
        var scanner = default(ChunkedScanner);

        Assert.Equal(body.Length, scanner.Scan(Bytes(body + "NEXT")));
        Assert.True(scanner.Done);
    }

    [Fact]
    public void Chunk_data_is_not_interpreted()
    {
        // CRLFs, "0\r\n\r\n" and high bytes inside the data are data.
        var data = new byte[] { (byte)'8', (byte)'\r', (byte)'\n', (byte)'0', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n', 0xFF, 0x00, 0x80, (byte)'\r', (byte)'\n', (byte)'0', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' };
        var scanner = default(ChunkedScanner);

        Assert.Equal(data.Length, scanner.Scan(data));
        Assert.True(scanner.Done);
    }

    [Fact]
    public void An_unfinished_body_takes_everything_and_is_not_done()
    {
        var scanner = default(ChunkedScanner);

        Assert.Equal(0, scanner.Scan([]));
        Assert.Equal(10, scanner.Scan(Bytes("5\r\nhello\r\n")));
        Assert.Equal(3, scanner.Scan(Bytes("0\r\n")));
        Assert.False(scanner.Done);
    }

    [Fact]
    public void The_largest_accepted_chunk_size_is_2_to_the_40()
    {
        var accepted = default(ChunkedScanner);
        var rejected = default(ChunkedScanner);

        Assert.Equal(13, accepted.Scan(Bytes("10000000000\r\n")));
        Assert.Equal(-1, rejected.Scan(Bytes("10000000001\r\n")));
    }

    [Theory]
    [InlineData("no digits", "\r\nhello\r\n0\r\n\r\n")]
    [InlineData("extension without a size", ";ext\r\nhello\r\n0\r\n\r\n")]
    [InlineData("not hex", "g\r\n")]
    [InlineData("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("sign", "+5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("bare LF after the size", "5\nhello\r\n0\r\n\r\n")]
    [InlineData("CR not followed by LF after the size", "5\rXhello\r\n0\r\n\r\n")]
    [InlineData("bare LF in an extension", "5;ext\nhello\r\n0\r\n\r\n")]
    [InlineData("data longer than its size", "5\r\nhello!\r\n0\r\n\r\n")]
    [InlineData("LF without CR after data", "5\r\nhello\n0\r\n\r\n")]
    [InlineData("CR without LF after data", "5\r\nhello\rX0\r\n\r\n")]
    [InlineData("bare LF ending the body", "0\r\n\n")]
    [InlineData("bare LF in a trailer", "0\r\nX-A: 1\nX-B: 2\r\n\r\n")]
    [InlineData("CR without LF ending a trailer", "0\r\nX-A: 1\rX\r\n\r\n")]
    [InlineData("CR without LF ending the body", "0\r\n\rX")]
    [InlineData("size over 2^40", "FFFFFFFFFFFFFFFFFFFF\r\n")]
    [InlineData("size overflowing a long", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n")]
    public void Malformed_framing_is_rejected(string rule, string body)
    {
        var scanner = default(ChunkedScanner);

        Assert.True(scanner.Scan(Bytes(body)) == -1, rule);
    }

    [Fact]
    public void Malformed_framing_is_rejected_even_when_it_arrives_in_a_later_piece()
    {
        var scanner = default(ChunkedScanner);

        Assert.Equal(8, scanner.Scan(Bytes("5\r\nhello")));
        Assert.Equal(-1, scanner.Scan(Bytes("XX")));
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);
}
