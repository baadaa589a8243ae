using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>RFC 7541 5.1 integers: the examples of Appendix C.1, both ways, and the encodings a decoder must refuse.</summary>
public sealed class HpackIntegerTests
{
    [Theory]
    [InlineData(10, 5, "0a")] // C.1.1
    [InlineData(1337, 5, "1f9a0a")] // C.1.2
    [InlineData(42, 8, "2a")] // C.1.3, starting at an octet boundary
    [InlineData(31, 5, "1f00")] // the prefix's largest value needs a zero continuation byte
    [InlineData(int.MaxValue, 5, "1fe0ffffff07")]
    public void C1_integer_examples_read_and_write(int value, int prefixBits, string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var position = 0;

        Assert.Equal(value, HpackInteger.Read(bytes, ref position, prefixBits));
        Assert.Equal(bytes.Length, position);

        var written = new byte[HpackInteger.MaxLength];
        var length = HpackInteger.Write(value, prefixBits, 0, written);
        Assert.Equal(hex, Convert.ToHexStringLower(written, 0, length));
    }

    [Fact]
    public void Integer_past_int_range_is_refused()
    {
        // 31 + 0x7fffffe1 = 2^31, one past int.MaxValue.
        AssertRefused("1fe2ffffff07", "larger than an int");
    }

    [Fact]
    public void Runaway_continuation_bytes_are_refused_even_when_they_add_nothing()
    {
        AssertRefused("1f808080808000", "continuation bytes");
    }

    [Fact]
    public void Integer_cut_off_by_the_block_end_is_refused()
    {
        AssertRefused("1f9a", "ends inside");
    }

    private static void AssertRefused(string hex, string reason)
    {
        var bytes = Convert.FromHexString(hex);
        var position = 0;
        var refused = Assert.Throws<HpackException>(() => HpackInteger.Read(bytes, ref position, 5));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }
}
