using System.Buffers;
using System.Text;

namespace Weft.Proxy.Http1;

/// <summary>What parsing a message head found.</summary>
internal enum HeadStatus
{
    /// <summary>The blank line that ends the head has not arrived yet.</summary>
    NeedMore,

    /// <summary>A well-formed head the fast path forwards as it is.</summary>
    Ready,

    /// <summary>
    /// Anything else (another HTTP version, chunked or upgrade requests, Expect, an unusual or malformed header): the
    /// request goes to the full Kestrel/YARP path, which accepts or rejects it by the book.
    /// </summary>
    Unsupported,
}

/// <summary>The non-empty elements of a comma-separated list value (RFC 9110 5.6.1), without surrounding whitespace: <c>foreach</c>.</summary>
internal ref struct ListElements(ReadOnlySpan<byte> value)
{
    private ReadOnlySpan<byte> _rest = value;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly ListElements GetEnumerator() => this;

    public bool MoveNext()
    {
        while (!_rest.IsEmpty)
        {
            var comma = _rest.IndexOf((byte)',');
            Current = (comma < 0 ? _rest : _rest[..comma]).Trim(" \t"u8);
            _rest = comma < 0 ? default : _rest[(comma + 1)..];
            if (!Current.IsEmpty)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One header line of a parsed head: offsets into the head's bytes.</summary>
internal struct HeaderLine
{
    /// <summary>Start of the line (the name).</summary>
    public int Start;

    /// <summary>Length of the line without its CRLF.</summary>
    public int Length;

    /// <summary>Not forwarded (hop-by-hop, or the mesh's own <c>weft-dst-port</c>).</summary>
    public bool Drop;
}

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

    public static string Describe(ReadOnlySpan<byte> s) => Encoding.Latin1.GetString(s);
}

/// <summary>
/// A request head the fast path may forward unchanged but for its hop-by-hop headers: origin-form target, HTTP/1.1,
/// exactly one Host, no body or a Content-Length one, no Upgrade/Expect/TE/Trailer/Transfer-Encoding, Connection only
/// keep-alive or close. One instance per client connection, reused for each request.
/// </summary>
internal sealed class RequestHead
{
    public const int MaxHeaders = 100;

    public readonly HeaderLine[] Headers = new HeaderLine[MaxHeaders];

    public int HeaderCount { get; private set; }

    /// <summary>Bytes through the blank line.</summary>
    public int Length { get; private set; }

    /// <summary>The request line without its CRLF.</summary>
    public int RequestLineLength { get; private set; }

    public bool IsHead { get; private set; }

    /// <summary>The body's length; 0 when there is none.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The client sent <c>Connection: close</c>: the connection ends after this exchange.</summary>
    public bool Close { get; private set; }

    /// <summary>The value of <c>weft-dst-port</c>, 0 when absent.</summary>
    public int DestinationPort { get; private set; }

    /// <summary>The method: the request line's first <see cref="MethodLength"/> bytes.</summary>
    public int MethodLength { get; private set; }

    /// <summary>Where the origin-form part of the target (path and query) starts, and its length.</summary>
    public int PathStart { get; private set; }

    public int PathLength { get; private set; }

    /// <summary>The target was absolute-form (<c>http://authority/path</c>, a proxy request): its authority's range.</summary>
    public bool AbsoluteForm { get; private set; }

    public int AuthorityStart { get; private set; }

    public int AuthorityLength { get; private set; }

    /// <summary>Index in <see cref="Headers"/> of the Host line.</summary>
    public int HostIndex { get; private set; }

    /// <param name="data">The bytes received so far.</param>
    /// <param name="absoluteForm">Whether an absolute-form <c>http://</c> target is accepted (the outbound listener is an HTTP proxy).</param>
    public HeadStatus Parse(ReadOnlySpan<byte> data, bool absoluteForm = false)
    {
        var end = data.IndexOf(Http1Syntax.HeadEnd);
        if (end < 0)
        {
            return Http1Syntax.HasBareLf(data) ? HeadStatus.Unsupported : HeadStatus.NeedMore;
        }

        HeaderCount = 0;
        ContentLength = 0;
        Close = false;
        DestinationPort = 0;
        Length = end + 4;
        var lineEnd = data.IndexOf(Http1Syntax.Crlf);
        RequestLineLength = lineEnd;
        if (!ParseRequestLine(data[..lineEnd], absoluteForm))
        {
            return HeadStatus.Unsupported;
        }

        var hosts = 0;
        var lengths = 0;
        for (var pos = lineEnd + 2; pos < end + 2;)
        {
            var length = data[pos..].IndexOf(Http1Syntax.Crlf);
            var line = data.Slice(pos, length);
            // Kestrel refuses non-ASCII request header values (400); so does the fast path, by handing them to it.
            if (HeaderCount == MaxHeaders || line.Contains((byte)'\n') || !Http1Syntax.TrySplit(line, out var name, out var value) || !Ascii.IsValid(value))
            {
                return HeadStatus.Unsupported;
            }

            var drop = false;
            switch (Classify(name))
            {
                case Field.Host:
                    hosts++;
                    HostIndex = HeaderCount;
                    break;
                case Field.ContentLength:
                    if (++lengths > 1 || !Http1Syntax.TryParseLength(value, out var contentLength))
                    {
                        return HeadStatus.Unsupported;
                    }

                    ContentLength = contentLength;
                    break;
                case Field.Connection:
                    foreach (var option in new ListElements(value))
                    {
                        if (System.Text.Ascii.EqualsIgnoreCase(option, "close"u8))
                        {
                            Close = true;
                        }
                        else if (!System.Text.Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
                        {
                            return HeadStatus.Unsupported;
                        }
                    }

                    drop = true;
                    break;
                case Field.DestinationPort:
                    if (DestinationPort != 0 || !Http1Syntax.TryParseLength(value, out var port) || port is < 1 or > 65535)
                    {
                        return HeadStatus.Unsupported;
                    }

                    DestinationPort = (int)port;
                    drop = true;
                    break;
                case Field.Unsupported:
                    return HeadStatus.Unsupported;
            }

            Headers[HeaderCount++] = new HeaderLine { Start = pos, Length = length, Drop = drop };
            pos += length + 2;
        }

        return hosts == 1 ? HeadStatus.Ready : HeadStatus.Unsupported;
    }

    private bool ParseRequestLine(ReadOnlySpan<byte> line, bool absoluteForm)
    {
        var sp = line.IndexOf((byte)' ');
        if (sp <= 0 || !Http1Syntax.IsToken(line[..sp]))
        {
            return false;
        }

        MethodLength = sp;
        IsHead = line[..sp].SequenceEqual("HEAD"u8);
        var targetStart = sp + 1;
        var rest = line[targetStart..];
        sp = rest.IndexOf((byte)' ');
        if (sp <= 0 || rest[..sp].ContainsAnyExceptInRange((byte)0x21, (byte)0x7E) || !rest[(sp + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        var target = rest[..sp];
        AbsoluteForm = false;
        if (target[0] == (byte)'/')
        {
            PathStart = targetStart;
            PathLength = target.Length;
            return true;
        }

        const int Scheme = 7; // "http://"
        if (!absoluteForm || target.Length <= Scheme || !System.Text.Ascii.EqualsIgnoreCase(target[..Scheme], "http://"u8))
        {
            return false;
        }

        var authority = target[Scheme..];
        var pathAt = authority.IndexOfAny((byte)'/', (byte)'?');
        if (pathAt == 0 || authority.IndexOfAny((byte)'@', (byte)'#') >= 0 || (pathAt > 0 && authority[pathAt] != (byte)'/'))
        {
            return false; // no host, userinfo, a fragment, or "http://host?query": left to the full path
        }

        AbsoluteForm = true;
        AuthorityStart = targetStart + Scheme;
        AuthorityLength = pathAt < 0 ? authority.Length : pathAt;
        PathStart = AuthorityStart + AuthorityLength;
        PathLength = target.Length - Scheme - AuthorityLength;
        return true;
    }

    private enum Field
    {
        Other,
        Host,
        ContentLength,
        Connection,
        DestinationPort,
        Unsupported,
    }

    private static Field Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when System.Text.Ascii.EqualsIgnoreCase(name, "te"u8) => Field.Unsupported,
        4 when System.Text.Ascii.EqualsIgnoreCase(name, "host"u8) => Field.Host,
        6 when System.Text.Ascii.EqualsIgnoreCase(name, "expect"u8) => Field.Unsupported,
        7 when System.Text.Ascii.EqualsIgnoreCase(name, "upgrade"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "trailer"u8) => Field.Unsupported,
        10 when System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8) => Field.Connection,
        10 when System.Text.Ascii.EqualsIgnoreCase(name, "keep-alive"u8) => Field.Unsupported,
        13 when System.Text.Ascii.EqualsIgnoreCase(name, Weft.Routing.MeshWire.DestinationPortHeaderAscii) => Field.DestinationPort,
        14 when System.Text.Ascii.EqualsIgnoreCase(name, "content-length"u8) => Field.ContentLength,
        16 when System.Text.Ascii.EqualsIgnoreCase(name, "proxy-connection"u8) => Field.Unsupported,
        17 when System.Text.Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) => Field.Unsupported,
        _ => Field.Other,
    };
}

/// <summary>How a response body ends (RFC 9112 6.3).</summary>
internal enum BodyFraming
{
    None,
    Length,
    Chunked,
    UntilClose,
}

/// <summary>
/// A response head from the app (or a peer sidecar): status, framing, whether the connection can carry another request,
/// and which lines to pass on (hop-by-hop ones are dropped; the status line is re-sent as HTTP/1.1).
/// </summary>
internal sealed class ResponseHead
{
    public const int MaxHeaders = 100;

    public readonly HeaderLine[] Headers = new HeaderLine[MaxHeaders];

    public int HeaderCount { get; private set; }

    public int Length { get; private set; }

    public int Status { get; private set; }

    /// <summary>The status line after "HTTP/1.x " (code and reason), without CRLF.</summary>
    public int StatusStart => 9;

    public int StatusLineLength { get; private set; }

    public BodyFraming Framing { get; private set; }

    public long ContentLength { get; private set; }

    /// <summary>The upstream connection cannot carry another request after this response.</summary>
    public bool UpstreamCloses { get; private set; }

    /// <summary>False if the bytes are not a response head this proxy forwards (a 502 for the client).</summary>
    public HeadStatus Parse(ReadOnlySpan<byte> data, bool requestWasHead)
    {
        var end = data.IndexOf(Http1Syntax.HeadEnd);
        if (end < 0)
        {
            return Http1Syntax.HasBareLf(data) ? HeadStatus.Unsupported : HeadStatus.NeedMore;
        }

        HeaderCount = 0;
        Length = end + 4;
        var lineEnd = data.IndexOf(Http1Syntax.Crlf);
        StatusLineLength = lineEnd;
        var line = data[..lineEnd];
        bool http10;
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != (byte)' '
            || !TryStatus(line.Slice(9, 3), out var status) || (line.Length > 12 && line[12] != (byte)' ') || !Http1Syntax.IsText(line))
        {
            return HeadStatus.Unsupported;
        }

        http10 = line[7] == (byte)'0';
        Status = status;
        var keepAlive = !http10;
        var lengths = 0;
        long contentLength = 0;
        var chunked = false;
        var transferCoded = false;
        var connectionLines = 0;
        for (var pos = lineEnd + 2; pos < end + 2;)
        {
            var length = data[pos..].IndexOf(Http1Syntax.Crlf);
            var header = data.Slice(pos, length);
            if (HeaderCount == MaxHeaders || header.Contains((byte)'\n') || !Http1Syntax.TrySplit(header, out var name, out var value))
            {
                return HeadStatus.Unsupported;
            }

            var drop = false;
            if (System.Text.Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Http1Syntax.TryParseLength(value, out var n) || (lengths++ > 0 && n != contentLength))
                {
                    return HeadStatus.Unsupported;
                }

                drop = lengths > 1; // an identical repeat (RFC 9112 6.3 allows collapsing it) is sent once
                contentLength = n;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                var last = value.LastIndexOf((byte)',');
                // The lines form one list (RFC 9110 5.3): what counts is whether chunked is the last coding of the last line.
                chunked = System.Text.Ascii.EqualsIgnoreCase((last < 0 ? value : value[(last + 1)..]).Trim(" \t"u8), "chunked"u8);
                transferCoded = true;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                var state = (Close: false, KeepAlive: false);
                foreach (var option in new ListElements(value))
                {
                    state.Close |= System.Text.Ascii.EqualsIgnoreCase(option, "close"u8);
                    state.KeepAlive |= System.Text.Ascii.EqualsIgnoreCase(option, "keep-alive"u8);
                }

                keepAlive = !state.Close && (keepAlive || state.KeepAlive);
                connectionLines++;
                drop = true;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "keep-alive"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "proxy-connection"u8))
            {
                drop = true;
            }
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "upgrade"u8))
            {
                return HeadStatus.Unsupported; // the fast path never asks for an upgrade
            }

            Headers[HeaderCount++] = new HeaderLine { Start = pos, Length = length, Drop = drop };
            pos += length + 2;
        }

        UpstreamCloses = !keepAlive;
        ContentLength = contentLength;
        if (connectionLines > 0)
        {
            DropConnectionOptions(data);
        }

        if (requestWasHead || status is < 200 or 204 or 304)
        {
            Framing = BodyFraming.None;
        }
        else if (transferCoded)
        {
            // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; a final coding other than chunked runs to the close.
            Framing = chunked ? BodyFraming.Chunked : BodyFraming.UntilClose;
            UpstreamCloses |= lengths > 0 || Framing == BodyFraming.UntilClose;
            if (lengths > 0)
            {
                DropNamed("content-length"u8, data);
            }
        }
        else if (lengths > 0)
        {
            Framing = BodyFraming.Length;
        }
        else
        {
            Framing = BodyFraming.UntilClose;
            UpstreamCloses = true;
        }

        return HeadStatus.Ready;
    }

    /// <summary>RFC 9110 7.6.1: the fields a Connection header names are for this hop only.</summary>
    private void DropConnectionOptions(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < HeaderCount; i++)
        {
            var line = data.Slice(Headers[i].Start, Headers[i].Length);
            if (!Http1Syntax.TrySplit(line, out var name, out var value) || !System.Text.Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                continue;
            }

            foreach (var option in new ListElements(value))
            {
                if (!System.Text.Ascii.EqualsIgnoreCase(option, "close"u8) && !System.Text.Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
                {
                    DropNamed(option, data);
                }
            }
        }
    }

    private void DropNamed(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < HeaderCount; i++)
        {
            var line = data.Slice(Headers[i].Start, Headers[i].Length);
            if (line.Length > name.Length && line[name.Length] == (byte)':' && System.Text.Ascii.EqualsIgnoreCase(line[..name.Length], name))
            {
                Headers[i].Drop = true;
            }
        }
    }

    private static bool TryStatus(ReadOnlySpan<byte> digits, out int status)
    {
        var valid = Http1Syntax.TryParseLength(digits, out var code) && code >= 100;
        status = (int)code;
        return valid;
    }
}
