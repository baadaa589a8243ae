namespace Weft.Proxy.Http2;

/// <summary>
/// The HPACK static table (RFC 7541 Appendix A): 61 entries, indexed from 1. The names and values are one block of
/// bytes with offsets into it, so a lookup reads constant data and allocates nothing; a name's entries are consecutive
/// and share one copy of the name. The tables below were generated from the RFC's table.
/// </summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    public static ReadOnlySpan<byte> Name(int index) => Text.Slice(NameStart[index - 1], NameLength[index - 1]);

    public static ReadOnlySpan<byte> Value(int index) => Text.Slice(ValueStart[index - 1], ValueLength[index - 1]);

    /// <summary>The index of the first entry named <paramref name="name"/>, or 0 when no entry has that name.</summary>
    public static int IndexOfName(ReadOnlySpan<char> name)
    {
        if ((uint)name.Length >= (uint)(ByLengthStart.Length - 1))
        {
            return 0;
        }
        foreach (var index in ByNameLength[ByLengthStart[name.Length]..ByLengthStart[name.Length + 1]])
        {
            if (SameText(Name(index), name))
            {
                return index;
            }
        }
        return 0;
    }

    /// <summary>
    /// The index of the entry that is <paramref name="name"/> with <paramref name="value"/>, or 0; and in
    /// <paramref name="nameIndex"/> the first entry with that name, or 0.
    /// </summary>
    public static int IndexOf(ReadOnlySpan<char> name, ReadOnlySpan<char> value, out int nameIndex)
    {
        nameIndex = IndexOfName(name);
        if (nameIndex == 0)
        {
            return 0;
        }
        var sharedName = NameStart[nameIndex - 1];
        for (var index = nameIndex; index <= Count && NameStart[index - 1] == sharedName; index++)
        {
            if (SameText(Value(index), value))
            {
                return index;
            }
        }
        return 0;
    }

    // Compared as numbers, so a char above 0xFF never equals a byte.
    private static bool SameText(ReadOnlySpan<byte> bytes, ReadOnlySpan<char> chars)
    {
        if (bytes.Length != chars.Length)
        {
            return false;
        }
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != chars[i])
            {
                return false;
            }
        }
        return true;
    }

    private static ReadOnlySpan<byte> Text =>
        ":authority:methodGETPOST:path//index.html:schemehttphttps:status200204206304400404500accept-charseta"u8 +
        "ccept-encodinggzip, deflateaccept-languageaccept-rangesacceptaccess-control-allow-originageallowauth"u8 +
        "orizationcache-controlcontent-dispositioncontent-encodingcontent-languagecontent-lengthcontent-locat"u8 +
        "ioncontent-rangecontent-typecookiedateetagexpectexpiresfromhostif-matchif-modified-sinceif-none-matc"u8 +
        "hif-rangeif-unmodified-sincelast-modifiedlinklocationmax-forwardsproxy-authenticateproxy-authorizati"u8 +
        "onrangerefererrefreshretry-afterserverset-cookiestrict-transport-securitytransfer-encodinguser-agent"u8 +
        "varyviawww-authenticate"u8;

    private static ReadOnlySpan<ushort> NameStart =>
    [
        0, 10, 10, 24, 24, 41, 41, 57, 57, 57, 57, 57, 57, 57, 85, 99,
        127, 142, 155, 161, 188, 191, 196, 209, 222, 241, 257, 273, 287, 303, 316, 328,
        334, 338, 342, 348, 355, 359, 363, 371, 388, 401, 409, 428, 441, 445, 453, 465,
        483, 502, 507, 514, 521, 532, 538, 548, 573, 590, 600, 604, 607,
    ];

    private static ReadOnlySpan<byte> NameLength =>
    [
        10, 7, 7, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 14, 15,
        15, 13, 6, 27, 3, 5, 13, 13, 19, 16, 16, 14, 16, 13, 12, 6,
        4, 4, 6, 7, 4, 4, 8, 17, 13, 8, 19, 13, 4, 8, 12, 18,
        19, 5, 7, 7, 11, 6, 10, 25, 17, 10, 4, 3, 16,
    ];

    private static ReadOnlySpan<ushort> ValueStart =>
    [
        10, 17, 20, 29, 30, 48, 52, 64, 67, 70, 73, 76, 79, 82, 99, 114,
        142, 155, 161, 188, 191, 196, 209, 222, 241, 257, 273, 287, 303, 316, 328, 334,
        338, 342, 348, 355, 359, 363, 371, 388, 401, 409, 428, 441, 445, 453, 465, 483,
        502, 507, 514, 521, 532, 538, 548, 573, 590, 600, 604, 607, 623,
    ];

    private static ReadOnlySpan<byte> ValueLength =>
    [
        0, 3, 4, 1, 11, 4, 5, 3, 3, 3, 3, 3, 3, 3, 0, 13,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    // Each distinct name's first entry, ordered by the name's length; ByLengthStart[n] is where names of length n begin.
    private static ReadOnlySpan<byte> ByNameLength =>
    [
        21, 60, 33, 34, 37, 38, 45, 59, 4, 22, 50, 19, 32, 35, 54, 2,
        6, 8, 36, 51, 52, 39, 42, 46, 1, 55, 58, 53, 31, 47, 18, 23,
        24, 30, 41, 44, 15, 28, 16, 17, 26, 27, 29, 61, 40, 57, 48, 25,
        43, 49, 56, 20,
    ];

    private static ReadOnlySpan<byte> ByLengthStart =>
    [
        0, 0, 0, 0, 2, 8, 11, 15, 21, 24, 24, 27, 28, 30, 36, 38,
        40, 44, 46, 47, 50, 50, 50, 50, 50, 50, 51, 51, 52,
    ];
}
