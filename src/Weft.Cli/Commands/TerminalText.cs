using System.Buffers;
using System.Globalization;
using System.Text;

namespace Weft.Cli.Commands;

/// <summary>
/// Text from the mesh's traffic made safe for the operator's terminal: a request chooses its path and authority, so
/// control characters (C0, DEL and C1, which start every escape sequence) are shown as <c>\xNN</c>, never written raw,
/// and so are the bidirectional controls (shown <c>\uNNNN</c>), which would reorder what the terminal shows: a path with
/// a right-to-left override could pass for another. A backslash is shown doubled, so an escaped form cannot be forged.
/// </summary>
internal static class TerminalText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), '\\', .. Enumerable.Range(0x7f, 0x21).Select(i => (char)i),
            '\u061c', '\u200e', '\u200f', .. Enumerable.Range(0x202a, 5).Select(i => (char)i), .. Enumerable.Range(0x2066, 4).Select(i => (char)i)]);

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
                : Unsafe.Contains(c) ? escaped.Append(c > '\u00ff' ? @"\u" : @"\x").Append(((int)c).ToString(c > '\u00ff' ? "x4" : "x2", CultureInfo.InvariantCulture))
                : escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <summary>
    /// A writer that passes every line on with <see cref="Escape"/> applied and its line breaks kept: for output that
    /// repeats what others wrote (status messages and names read from an API server, a control plane's answer), where
    /// anyone who may write an object or its status would otherwise write to the operator's terminal. Each write goes to
    /// <paramref name="inner"/> in one call (writers shared by threads keep their lines whole), and a writer that already
    /// escapes is returned as it is (nothing is escaped twice).
    /// </summary>
    public static TextWriter Writer(TextWriter inner) => inner as EscapingWriter ?? new EscapingWriter(inner);

    /// <summary><see cref="Escape"/> of each line of <paramref name="text"/>, its line breaks kept.</summary>
    private static string EscapeLines(string text) => text.Contains('\n', StringComparison.Ordinal)
        ? string.Join('\n', text.Split('\n').Select(Escape))
        : Escape(text);

    private sealed class EscapingWriter(TextWriter inner) : TextWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(EscapeLines(value.ToString()));

        public override void Write(string? value)
        {
            if (value is not null)
            {
                inner.Write(EscapeLines(value));
            }
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => inner.WriteLine(EscapeLines(value ?? ""));

        public override void Flush() => inner.Flush();
    }
}
