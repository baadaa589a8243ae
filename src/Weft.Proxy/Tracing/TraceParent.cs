using System.Buffers.Binary;
using System.Text;

namespace Weft.Proxy.Tracing;

/// <summary>
/// A W3C Trace Context <c>traceparent</c> value (version 00): the trace id, the parent span's id, and the trace flags,
/// parsed and written without allocating. Parsing follows the spec's rules for a receiver: lower-case hex only, an
/// all-zero trace or parent id is invalid, version <c>ff</c> is invalid, and a later version is read by its version-00
/// prefix (its first 55 characters, then '-' or the end).
/// </summary>
internal readonly record struct TraceParent(ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId, byte Flags)
{
    /// <summary>The length of a version-00 value: "00-" + 32 + "-" + 16 + "-" + 2.</summary>
    public const int Length = 55;

    /// <summary>The sampled flag (W3C Trace Context, trace-flags).</summary>
    public const byte SampledFlag = 0x01;

    /// <summary>The header's name, as the fast path writes it.</summary>
    public static ReadOnlySpan<byte> HeaderName => "traceparent"u8;

    public bool Sampled => (Flags & SampledFlag) != 0;

    /// <summary>Parses a header value (W3C Trace Context §3.2, "traceparent Header Field Values").</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out TraceParent parent)
    {
        parent = default;
        if (value.Length < Length || !TryHexByte(value[0], value[1], out var version) || version == 0xff || value[2] != '-')
        {
            return false;
        }

        // Version 00 is exactly 55 characters; a later version may carry more after a '-'.
        if (version == 0 ? value.Length != Length : value.Length > Length && value[Length] != '-')
        {
            return false;
        }

        if (value[35] != '-' || value[52] != '-'
            || !TryHex64(value.Slice(3, 16), out var high) || !TryHex64(value.Slice(19, 16), out var low)
            || !TryHex64(value.Slice(36, 16), out var span) || !TryHexByte(value[53], value[54], out var flags)
            || (high == 0 && low == 0) || span == 0)
        {
            return false;
        }

        parent = new TraceParent(high, low, span, flags);
        return true;
    }

    /// <summary>Parses a header value given as text (the full path's header dictionary); anything not ASCII is invalid.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TraceParent parent)
    {
        parent = default;
        if (value.Length is < Length or > 256)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[value.Length];
        return Ascii.FromUtf16(value, bytes, out _) == System.Buffers.OperationStatus.Done && TryParse(bytes, out parent);
    }

    /// <summary>Writes the version-00 value into <paramref name="to"/> (at least <see cref="Length"/> bytes).</summary>
    public void Write(Span<byte> to)
    {
        "00-"u8.CopyTo(to);
        WriteHex64(to[3..], TraceIdHigh);
        WriteHex64(to[19..], TraceIdLow);
        to[35] = (byte)'-';
        WriteHex64(to[36..], SpanId);
        to[52] = (byte)'-';
        to[53] = HexDigit(Flags >> 4);
        to[54] = HexDigit(Flags & 0xf);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>The trace id as OTLP carries it: 16 bytes, big-endian.</summary>
    public static void WriteTraceId(Span<byte> to, ulong high, ulong low)
    {
        BinaryPrimitives.WriteUInt64BigEndian(to, high);
        BinaryPrimitives.WriteUInt64BigEndian(to[8..], low);
    }

    private static bool TryHex64(ReadOnlySpan<byte> hex, out ulong value)
    {
        value = 0;
        foreach (var c in hex)
        {
            var digit = HexValue(c);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }

    private static bool TryHexByte(byte a, byte b, out byte value)
    {
        var high = HexValue(a);
        var low = HexValue(b);
        value = (byte)((high << 4) | low);
        return high >= 0 && low >= 0;
    }

    // Lower-case only: the spec's HEXDIGLC (an upper-case digit makes the value invalid).
    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    private static void WriteHex64(Span<byte> to, ulong value)
    {
        for (var i = 15; i >= 0; i--)
        {
            to[i] = HexDigit((int)(value & 0xf));
            value >>= 4;
        }
    }

    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
