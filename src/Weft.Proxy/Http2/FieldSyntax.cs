using System.Buffers;

namespace Weft.Proxy.Http2;

/// <summary>
/// What RFC 9113 8.2.1 lets a peer's field hold: a name of lowercase visible ASCII without a colon (a pseudo-header's
/// leading one aside), a value without NUL, LF or CR that neither starts nor ends with SP or HTAB. A field outside it
/// makes its message malformed (8.1.1); a CR or LF let through would split the response once forwarded as HTTP/1.1.
/// </summary>
internal static class FieldSyntax
{
    // 0x00-0x20, 'A'-'Z', ':' and 0x7f-0xff: what a field name may not hold.
    private static readonly SearchValues<byte> NotInName = SearchValues.Create(NameExclusions());

    /// <summary>Whether <paramref name="name"/> is a well-formed field name, a pseudo-header's (":status") too.</summary>
    public static bool IsName(ReadOnlySpan<byte> name)
    {
        if (!name.IsEmpty && name[0] == (byte)':')
        {
            name = name[1..];
        }

        return !name.IsEmpty && !name.ContainsAny(NotInName);
    }

    /// <summary>Whether <paramref name="value"/> is a well-formed field value.</summary>
    public static bool IsValue(ReadOnlySpan<byte> value) =>
        !value.ContainsAny((byte)'\0', (byte)'\n', (byte)'\r')
        && (value.IsEmpty || (!IsBlank(value[0]) && !IsBlank(value[^1])));

    /// <summary>
    /// Whether the field is one HTTP/2 forbids as connection-specific (RFC 9113 8.2.2): Connection, Keep-Alive,
    /// Proxy-Connection, Transfer-Encoding, Upgrade, and TE other than "trailers". Names are lowercase here (checked first).
    /// </summary>
    public static bool IsConnectionSpecific(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        name.SequenceEqual("connection"u8) || name.SequenceEqual("keep-alive"u8) || name.SequenceEqual("proxy-connection"u8)
        || name.SequenceEqual("transfer-encoding"u8) || name.SequenceEqual("upgrade"u8)
        || (name.SequenceEqual("te"u8) && !value.SequenceEqual("trailers"u8));

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t';

    private static byte[] NameExclusions()
    {
        var excluded = new List<byte>();
        for (var b = 0; b <= 0xFF; b++)
        {
            if (b <= 0x20 || b is >= 'A' and <= 'Z' || b == ':' || b >= 0x7F)
            {
                excluded.Add((byte)b);
            }
        }

        return [.. excluded];
    }
}
