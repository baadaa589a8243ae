using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// Header blocks a decoder must refuse as a COMPRESSION_ERROR (RFC 7541 and RFC 9113 4.3), one per rule, and the
/// header list limit.
/// </summary>
public sealed class HpackMalformedBlockTests
{
    [Fact]
    public void Index_0_is_refused() => AssertRefused(new HpackDecoder(), "80", "index 0");

    [Fact]
    public void Index_past_the_static_table_with_an_empty_dynamic_table_is_refused() =>
        AssertRefused(new HpackDecoder(), "be", "index 62");

    [Fact]
    public void Index_past_the_dynamic_table_is_refused()
    {
        var decoder = new HpackDecoder();
        HeaderList.Decode(decoder, Convert.FromHexString("4001610162")); // a: b, incremental indexing
        Assert.Single(HeaderList.Decode(decoder, Convert.FromHexString("be")));
        AssertRefused(decoder, "bf", "index 63");
    }

    [Fact]
    public void Name_index_past_the_tables_is_refused() => AssertRefused(new HpackDecoder(), "0f3001", "index 63");

    [Fact]
    public void Integer_overflow_in_an_index_is_refused() => AssertRefused(new HpackDecoder(), "ffffffffff0f", "larger than an int");

    [Fact]
    public void Size_update_above_the_advertised_maximum_is_refused() =>
        AssertRefused(new HpackDecoder(maxTableSize: 4096), "3fe21f", "exceeds the 4096");

    [Fact]
    public void Size_update_after_a_field_is_refused() => AssertRefused(new HpackDecoder(), "8220", "follows a header field");

    [Fact]
    public void Two_size_updates_at_the_block_start_are_accepted()
    {
        // RFC 7541 4.2: a smaller size, then the one in force, before the first field.
        var decoder = new HpackDecoder();
        Assert.Equal([":method: GET"], HeaderList.Decode(decoder, Convert.FromHexString("203fe11f82")));
        Assert.Equal(4096, decoder.DynamicTable.Capacity);
    }

    [Fact]
    public void String_longer_than_the_block_is_refused() => AssertRefused(new HpackDecoder(), "000561", "past the end");

    [Fact]
    public void Block_ending_before_the_value_is_refused() => AssertRefused(new HpackDecoder(), "000161", "ends before a string");

    [Fact]
    public void EOS_inside_a_Huffman_string_in_a_block_is_refused() =>
        AssertRefused(new HpackDecoder(), "000161851fffffffff", "EOS");

    [Fact]
    public void Header_list_larger_than_the_limit_is_refused()
    {
        // Two fields of 1 + 1 + 32 bytes = 68; the limit 67 takes the first only.
        var decoder = new HpackDecoder(maxHeaderListSize: 67);
        Assert.Single(HeaderList.Decode(decoder, Convert.FromHexString("0001610162")));
        AssertRefused(decoder, "00016101620001630164", "larger than the limit");
    }

    [Fact]
    public void Header_list_limit_counts_Huffman_strings_decoded()
    {
        // A Huffman value of 8 bytes decoding to 12 '0's (5 bits each) against room for 10.
        var decoder = new HpackDecoder(maxHeaderListSize: 1 + 10 + 32);
        AssertRefused(decoder, "000161880000000000000000", "larger than the limit");
    }

    private static void AssertRefused(HpackDecoder decoder, string hex, string reason)
    {
        var refused = Assert.Throws<HpackException>(() => decoder.Decode(Convert.FromHexString(hex), new HeaderList()));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }
}
