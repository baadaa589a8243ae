namespace Weft.Proxy.Http2;

/// <summary>HPACK's prefixed integers (RFC 7541 5.1): an N-bit prefix, then 7 bits per continuation byte.</summary>
internal static class HpackInteger
{
    /// <summary>The most bytes <see cref="Write"/> takes for any int: the prefix byte and five continuation bytes.</summary>
    public const int MaxLength = 6;

    // Four continuation bytes carry 28 bits; a fifth reaches bit 34, past any int. A sixth, even one adding nothing
    // (0x80), is a runaway encoding, refused rather than read on.
    private const int MaxShift = 28;

    /// <summary>
    /// Reads the integer whose prefix is the low <paramref name="prefixBits"/> bits of the byte at
    /// <paramref name="position"/>, and moves <paramref name="position"/> past it.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> source, ref int position, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        var value = source[position++] & mask;
        if (value < mask)
        {
            return value;
        }
        long total = value;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > MaxShift)
            {
                throw new HpackException("An HPACK integer has more continuation bytes than an int needs.");
            }
            if (position >= source.Length)
            {
                throw new HpackException("The header block ends inside an HPACK integer.");
            }
            var next = source[position++];
            total += (long)(next & 0x7F) << shift;
            if (total > int.MaxValue)
            {
                throw new HpackException("An HPACK integer is larger than an int.");
            }
            if ((next & 0x80) == 0)
            {
                return (int)total;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> with a <paramref name="prefixBits"/>-bit prefix, the first byte's high bits
    /// taken from <paramref name="pattern"/>; returns the bytes written.
    /// </summary>
    public static int Write(int value, int prefixBits, byte pattern, Span<byte> destination)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            destination[0] = (byte)(pattern | value);
            return 1;
        }
        destination[0] = (byte)(pattern | mask);
        var rest = (uint)(value - mask);
        var written = 1;
        while (rest >= 0x80)
        {
            destination[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
        destination[written++] = (byte)rest;
        return written;
    }
}
