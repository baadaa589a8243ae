using System.Buffers;
using System.Globalization;
using System.Text;

namespace Weft.Cli.Commands;

/// <summary>
/// Text from the mesh's traffic made safe for the operator's terminal: a request chooses its path and authority, so
/// control characters (C0, DEL and C1, which start every escape sequence) are shown as <c>\xNN</c>, never written raw.
/// A backslash is shown doubled, so an escaped form cannot be forged.
/// </summary>
internal static class TerminalText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), '\\', .. Enumerable.Range(0x7f, 0x21).Select(i => (char)i)]);

    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAny(Unsafe))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c == '\\' ? escaped.Append(@"\\")
                : Unsafe.Contains(c) ? escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}")
                : escaped.Append(c);
        }

        return escaped.ToString();
    }
}
