using System.Buffers;
using System.Text;

namespace Weft.Proxy.Http2;

/// <summary>
/// HPACK encoding (RFC 7541) without a dynamic table: a static table entry, or a literal that is not indexed, so the
/// encoder keeps no state and a peer's table size never matters. Strings are Huffman-coded when that is shorter.
/// </summary>
internal static class HpackEncoder
{
    // Latin-1 without CR, LF and NUL, which are invalid in a field (RFC 9113 8.2.1): a peer splitting on them would
    // see other fields. A name must also be lowercase (8.2.1).
    private static readonly SearchValues<char> ValueChars = Latin1Except("\0\r\n");
    private static readonly SearchValues<char> NameChars = Latin1Except("\0\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ");

    /// <summary>
    /// Appends one field: an indexed field (6.1) when the static table holds the name with this value; else a literal
    /// without indexing (6.2.2), with the static table's index for the name when it has it. The name must be lowercase;
    /// name and value Latin-1 without CR, LF or NUL, or an <see cref="HttpRequestException"/>.
    /// </summary>
    public static void Encode(ReadOnlySpan<char> name, ReadOnlySpan<char> value, IBufferWriter<byte> output)
    {
        CheckField(name, value);
        var index = HpackStaticTable.IndexOf(name, value, out var nameIndex);
        if (index != 0)
        {
            EncodeIndexed(index, output);
            return;
        }
        WriteLiteral(0x00, nameIndex, name, value, output);
    }

    /// <summary>Appends the static table's entry <paramref name="staticIndex"/> (1-61) as an indexed field (6.1).</summary>
    public static void EncodeIndexed(int staticIndex, IBufferWriter<byte> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(staticIndex, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(staticIndex, HpackStaticTable.Count);
        output.GetSpan(1)[0] = (byte)(0x80 | staticIndex);
        output.Advance(1);
    }

    /// <summary>
    /// Appends a literal never indexed (6.2.3), which intermediaries must pass on the same way: for values such as
    /// authorization and cookie. The same rules as <see cref="Encode"/>.
    /// </summary>
    public static void EncodeNeverIndexed(ReadOnlySpan<char> name, ReadOnlySpan<char> value, IBufferWriter<byte> output)
    {
        CheckField(name, value);
        WriteLiteral(0x10, HpackStaticTable.IndexOfName(name), name, value, output);
    }

    private static void WriteLiteral(byte pattern, int nameIndex, ReadOnlySpan<char> name, ReadOnlySpan<char> value, IBufferWriter<byte> output)
    {
        // A Huffman-coded string is only chosen when shorter, so this bounds either form.
        var destination = output.GetSpan((3 * HpackInteger.MaxLength) + name.Length + value.Length);
        int written;
        if (nameIndex != 0)
        {
            written = HpackInteger.Write(nameIndex, 4, pattern, destination);
        }
        else
        {
            destination[0] = pattern;
            written = 1 + WriteString(name, destination[1..]);
        }
        written += WriteString(value, destination[written..]);
        output.Advance(written);
    }

    // RFC 7541 5.2: Huffman-coded when that is shorter, else the bytes as they are.
    private static int WriteString(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var huffmanLength = Huffman.EncodedLength(text);
        int written;
        if (huffmanLength < text.Length)
        {
            written = HpackInteger.Write(huffmanLength, 7, 0x80, destination);
            return written + Huffman.Encode(text, destination[written..]);
        }
        written = HpackInteger.Write(text.Length, 7, 0x00, destination);
        return written + Encoding.Latin1.GetBytes(text, destination[written..]);
    }

    private static void CheckField(ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        CheckText(name, name, "name", NameChars);
        CheckText(name, value, "value", ValueChars);
    }

    // One vectorised pass finds any char outside the allowed set; which rule it broke is worked out only then.
    // (IndexOfAnyInRange, tried first, allocated 96 bytes a call in HpackAllocationTests' 1000 calls on .NET 10;
    // IndexOfAnyExcept with SearchValues allocates nothing.) The value stays out of the message: it may be a credential.
    private static void CheckText(ReadOnlySpan<char> name, ReadOnlySpan<char> text, string part, SearchValues<char> allowed)
    {
        var at = text.IndexOfAnyExcept(allowed);
        if (at < 0)
        {
            return;
        }
        var rule = text[at] switch
        {
            > '\u00ff' => "a character above U+00FF; HTTP/2 header fields are bytes, sent as Latin-1",
            >= 'A' and <= 'Z' => "upper-case letters, which HTTP/2 forbids in names",
            _ => "a CR, LF or NUL character",
        };
        throw new HttpRequestException($"The {part} of header '{SafeName(name)}' has {rule}.");
    }

    private static SearchValues<char> Latin1Except(string excluded)
    {
        var allowed = new List<char>(256);
        for (var c = '\0'; c <= '\u00ff'; c++)
        {
            if (!excluded.Contains(c))
            {
                allowed.Add(c);
            }
        }
        return SearchValues.Create([.. allowed]);
    }

    // A name with a control character or a char above 0xFF, shown without them.
    private static string SafeName(ReadOnlySpan<char> name)
    {
        var shown = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            shown.Append(c is < ' ' or > '~' ? '?' : c);
        }
        return shown.ToString();
    }
}
