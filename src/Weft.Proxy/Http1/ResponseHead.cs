namespace Weft.Proxy.Http1;

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
    public const int StatusStart = 9;

    public int StatusLineLength { get; private set; }

    public BodyFraming Framing { get; private set; }

    public long ContentLength { get; private set; }

    /// <summary>The upstream connection cannot carry another request after this response.</summary>
    public bool UpstreamCloses { get; private set; }

    /// <summary>
    /// <see cref="HeadStatus.Ready"/> for a response head this proxy forwards; <see cref="HeadStatus.Unsupported"/> for
    /// one it does not (a 502 for the client); <see cref="HeadStatus.NeedMore"/> until the head is whole.
    /// </summary>
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
                // Kept, unlike the other hop-by-hop lines: the body goes on in the codings it came in, which this line names.
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
            else if (System.Text.Ascii.EqualsIgnoreCase(name, "upgrade"u8))
            {
                return HeadStatus.Unsupported; // the fast path never asks for an upgrade
            }
            else
            {
                drop = Forwarding.Hop.IsHopByHop(name); // the full path (YARP) drops these too
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
