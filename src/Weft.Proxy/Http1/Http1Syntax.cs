using System.Buffers;
using System.Text;

namespace Weft.Proxy.Http1;

/// <summary>
/// The strict HTTP/1.1 head grammar both fast-path heads share (RFC 9112 2–5, RFC 9110 5.1/5.5): a line per header,
/// CRLF only, a token name directly followed by a colon, a value without control characters. Every deviation is
/// <see cref="HeadStatus.Unsupported"/>, never a guess, so framing is only ever decided on unambiguous input.
/// </summary>
internal static class Http1Syntax
{
    public static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    // RFC 9110 5.6.2 tchar.
    private static readonly SearchValues<byte> Token = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // Control characters other than HTAB, and DEL: never in a field value (RFC 9110 5.5).
    private static readonly SearchValues<byte> ValueControls = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F"u8);

    public static bool IsToken(ReadOnlySpan<byte> s) => !s.IsEmpty && !s.ContainsAnyExcept(Token);

    /// <summary>Text without control characters (HTAB aside): a reason phrase, a field value.</summary>
    public static bool IsText(ReadOnlySpan<byte> s) => !s.ContainsAny(ValueControls);

    /// <summary>
    /// Whether a head still without its blank line can never get one the fast path accepts: it has a bare LF (a line
    /// ending RFC 9112 2.2 lets a recipient accept, which Kestrel does and this parser does not).
    /// </summary>
    public static bool HasBareLf(ReadOnlySpan<byte> data)
    {
        var from = 0;
        while (data[from..].IndexOf((byte)'\n') is var i and >= 0)
        {
            var at = from + i;
            if (at == 0 || data[at - 1] != (byte)'\r')
            {
                return true;
            }

            from = at + 1;
        }

        return false;
    }

    /// <summary>Splits one header line into a token name and a value without surrounding whitespace; false if malformed.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        var colon = line.IndexOf((byte)':');
        name = colon > 0 ? line[..colon] : default;
        if (colon <= 0 || !IsToken(name))
        {
            return false;
        }

        value = line[(colon + 1)..].Trim(" \t"u8);
        return !value.ContainsAny(ValueControls);
    }

    /// <summary>A Content-Length value: 1–18 digits and nothing else.</summary>
    public static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            length = (length * 10) + (c - '0');
        }

        return true;
    }

    /// <summary>Writes <paramref name="line"/> and a CRLF at the start of <paramref name="to"/>; returns the bytes written.</summary>
    public static int WriteLine(Span<byte> to, ReadOnlySpan<byte> line)
    {
        line.CopyTo(to);
        Crlf.CopyTo(to[line.Length..]);
        return line.Length + 2;
    }
}
