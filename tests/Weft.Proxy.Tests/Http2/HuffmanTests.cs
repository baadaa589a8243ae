using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>RFC 7541 5.2 and Appendix B: the Huffman table, its coding both ways, and the strings a decoder must refuse.</summary>
public sealed class HuffmanTests
{
    [Fact]
    public void Table_is_a_complete_prefix_code_Kraft_sum_exactly_one_with_EOS()
    {
        // Sum of 2^-length over the 257 symbols, scaled by 2^30 (the longest code) to stay in integers.
        var sum = 0L;
        foreach (var length in Huffman.Lengths)
        {
            sum += 1L << (30 - length);
        }
        Assert.Equal(257, Huffman.Lengths.Length);
        Assert.Equal(1L << 30, sum);
    }

    [Fact]
    public void Table_is_canonical_so_codes_follow_from_lengths()
    {
        // The decoder rebuilds codes from lengths alone: symbols of one length take consecutive codes in symbol order.
        var code = 0u;
        for (var length = 1; length <= 30; length++)
        {
            for (var symbol = 0; symbol <= Huffman.Eos; symbol++)
            {
                if (Huffman.Lengths[symbol] == length)
                {
                    Assert.True(code == Huffman.Codes[symbol], $"symbol {symbol}: code {Huffman.Codes[symbol]:x}, canonical {code:x}");
                    code++;
                }
            }
            code <<= 1;
        }
    }

    [Fact]
    public void EOS_is_thirty_ones()
    {
        Assert.Equal(0x3fffffffu, Huffman.Codes[Huffman.Eos]);
        Assert.Equal(30, Huffman.Lengths[Huffman.Eos]);
    }

    [Fact]
    public void Every_byte_value_round_trips_alone_and_all_together()
    {
        var all = new char[256];
        for (var b = 0; b < 256; b++)
        {
            all[b] = (char)b;
            Assert.Equal([(byte)b], RoundTrip([(char)b]));
        }
        var expected = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            expected[b] = (byte)b;
        }
        Assert.Equal(expected, RoundTrip(all));
    }

    [Fact]
    public void Encoding_matches_the_RFC_example_C4_1()
    {
        var encoded = new byte[Huffman.EncodedLength("www.example.com")];
        Huffman.Encode("www.example.com", encoded);
        Assert.Equal("f1e3c2e5f23a6ba0ab90f4ff", Convert.ToHexStringLower(encoded));
    }

    [Fact]
    public void EOS_inside_a_string_is_refused()
    {
        // 'a' (00011), then EOS (30 ones), then 5 ones of padding: 40 bits.
        AssertRefused("1fffffffff", "EOS");
    }

    [Fact]
    public void Padding_longer_than_7_bits_is_refused()
    {
        // 'a' (00011), then 11 ones.
        AssertRefused("1fff", "more than 7 bits");
        AssertRefused("ff", "more than 7 bits");
    }

    [Fact]
    public void Padding_not_all_ones_is_refused()
    {
        // '0' (00000), then 110.
        AssertRefused("06", "not all ones");
    }

    [Fact]
    public void Padding_of_up_to_7_ones_is_accepted()
    {
        // 'a' (00011) and 3 ones; '0' (00000) and 'a' (00011) and 6 ones.
        Assert.Equal("a"u8.ToArray(), Decode(Convert.FromHexString("1f")));
        Assert.Equal("0a"u8.ToArray(), Decode(Convert.FromHexString("00ff")));
    }

    [Fact]
    public void Destination_too_small_is_reported_not_overrun()
    {
        var encoded = new byte[Huffman.EncodedLength("abcdef")];
        Huffman.Encode("abcdef", encoded);
        Assert.False(Huffman.TryDecode(encoded, new byte[5], out _));
    }

    private static byte[] RoundTrip(ReadOnlySpan<char> text)
    {
        var encoded = new byte[Huffman.EncodedLength(text)];
        Assert.Equal(encoded.Length, Huffman.Encode(text, encoded));
        return Decode(encoded);
    }

    private static byte[] Decode(byte[] encoded)
    {
        var decoded = new byte[encoded.Length * 8 / 5];
        Assert.True(Huffman.TryDecode(encoded, decoded, out var written));
        return decoded[..written];
    }

    private static void AssertRefused(string hex, string reason)
    {
        var refused = Assert.Throws<HpackException>(() => Huffman.TryDecode(Convert.FromHexString(hex), new byte[64], out _));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }
}
