namespace Weft.Routing.Matching;

/// <summary>Query-parameter lookup over the raw query, parsed lazily and without allocating (gamma-spec E5).</summary>
internal static class QueryString
{
    private const int MaxDecodedBytes = 1024;

    /// <summary>Whether the first occurrence of the matcher's parameter (E5: first value wins) has the wanted value.</summary>
    public static bool Matches(string? query, ValueMatcher matcher)
    {
        if (string.IsNullOrEmpty(query))
        {
            return false;
        }

        var rest = query.AsSpan();
        if (rest[0] == '?')
        {
            rest = rest[1..];
        }

        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? [] : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? [] : pair[(eq + 1)..];
            if (!ComponentEquals(name, matcher.Name))
            {
                continue;
            }

            return matcher.Regex is null
                ? ComponentEquals(value, matcher.Value, matcher.ValueUtf8)
                : matcher.Regex.IsMatch(value);
        }

        return false;
    }

    private static bool ComponentEquals(ReadOnlySpan<char> raw, string expected) =>
        raw.SequenceEqual(expected) || (raw.Contains('%') && DecodedEquals(raw, System.Text.Encoding.UTF8.GetBytes(expected)));

    private static bool ComponentEquals(ReadOnlySpan<char> raw, string expected, byte[] expectedUtf8) =>
        raw.SequenceEqual(expected) || (raw.Contains('%') && DecodedEquals(raw, expectedUtf8));

    /// <summary>Percent-decodes <paramref name="raw"/> (ASCII plus %XX escapes) and compares it with the expected UTF-8 bytes.</summary>
    private static bool DecodedEquals(ReadOnlySpan<char> raw, ReadOnlySpan<byte> expected)
    {
        if (raw.Length > MaxDecodedBytes)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxDecodedBytes];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                buffer[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else if (c < 0x80)
            {
                buffer[n++] = (byte)c;
            }
            else
            {
                return false;
            }
        }

        return buffer[..n].SequenceEqual(expected);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
