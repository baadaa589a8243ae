using System.Text;
using Weft.Proxy.Tracing;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>The <c>traceparent</c> header as W3C Trace Context (§3.2) says a receiver reads it, and as Weft writes it.</summary>
public sealed class TraceParentTests
{
    private const string Valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public void A_version_00_value_parses_into_its_trace_id_parent_id_and_flags()
    {
        Assert.True(TraceParent.TryParse(Encoding.ASCII.GetBytes(Valid), out var parent));

        Assert.Equal(0x4bf92f3577b34da6UL, parent.TraceIdHigh);
        Assert.Equal(0xa3ce929d0e0e4736UL, parent.TraceIdLow);
        Assert.Equal(0x00f067aa0ba902b7UL, parent.SpanId);
        Assert.True(parent.Sampled);
        Assert.Equal(Valid, parent.ToString());
    }

    [Fact]
    public void The_text_and_byte_readers_agree()
    {
        Assert.True(TraceParent.TryParse(Valid.AsSpan(), out var fromText));
        Assert.True(TraceParent.TryParse(Encoding.ASCII.GetBytes(Valid), out var fromBytes));
        Assert.Equal(fromBytes, fromText);
    }

    [Fact]
    public void The_sampled_flag_is_bit_0_of_the_flags()
    {
        Assert.True(TraceParent.TryParse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".AsSpan(), out var notSampled));
        Assert.True(TraceParent.TryParse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".AsSpan(), out var other));

        Assert.False(notSampled.Sampled);
        Assert.True(other.Sampled);
    }

    [Theory]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // a later version, same length
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")] // a later version with more after '-'
    public void A_later_version_is_read_by_its_version_00_prefix(string value)
    {
        Assert.True(TraceParent.TryParse(value.AsSpan(), out var parent));
        Assert.Equal(0x00f067aa0ba902b7UL, parent.SpanId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7")] // no flags
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")] // version 00 is exactly 55 characters
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010")]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.future")] // a later version's extra part starts with '-'
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // version ff is invalid
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")] // upper-case hex
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")] // all-zero trace id
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")] // all-zero parent id
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01")] // wrong separator
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")] // not hex
    [InlineData("0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // version not hex
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z")] // flags not hex
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // two values joined
    public void A_malformed_value_is_invalid(string value)
    {
        Assert.False(TraceParent.TryParse(value.AsSpan(), out _));
        Assert.False(TraceParent.TryParse(Encoding.Latin1.GetBytes(value), out _));
    }

    [Fact]
    public void A_value_with_a_character_outside_ASCII_is_invalid()
    {
        Assert.False(TraceParent.TryParse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é".AsSpan(), out _));
    }

    [Fact]
    public void Writing_gives_version_00_lower_case_hex_with_leading_zeros()
    {
        var parent = new TraceParent(1, 0xabc, 0x2a, TraceParent.SampledFlag);
        var bytes = new byte[TraceParent.Length];

        parent.Write(bytes);

        Assert.Equal("00-" + "0000000000000001" + "0000000000000abc" + "-000000000000002a-01", Encoding.ASCII.GetString(bytes));
        Assert.True(TraceParent.TryParse(bytes, out var back));
        Assert.Equal(parent, back);
    }
}
