using System.Text;

namespace Weft.Proxy.Http1;

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

    /// <summary>
    /// Where the value of the one <c>weft-src-workload</c> line starts, and its length (0 when absent or repeated). The
    /// line itself is never forwarded: the inbound side believes it only from a peer it has verified
    /// (<see cref="Metrics.InboundLabels.TrustedWorkload"/>), and the outbound side writes its own.
    /// </summary>
    public int SourceWorkloadStart { get; private set; }

    public int SourceWorkloadLength { get; private set; }

    /// <summary>The method: the request line's first <see cref="MethodLength"/> bytes.</summary>
    public int MethodLength { get; private set; }

    /// <summary>Where the origin-form part of the target (path and query) starts, and its length.</summary>
    public int PathStart { get; private set; }

    public int PathLength { get; private set; }

    /// <summary>The origin-form target (path and query) in <paramref name="head"/>: "/" for an absolute-form target without a path.</summary>
    public ReadOnlySpan<byte> Target(ReadOnlySpan<byte> head) => PathLength == 0 ? "/"u8 : head.Slice(PathStart, PathLength);

    /// <summary>The <see cref="Target"/>'s path, without its query.</summary>
    public ReadOnlySpan<byte> Path(ReadOnlySpan<byte> head)
    {
        var target = Target(head);
        var query = target.IndexOf((byte)'?');
        return query < 0 ? target : target[..query];
    }

    /// <summary>The target was absolute-form (<c>http://authority/path</c>, a proxy request): its authority's range.</summary>
    public bool AbsoluteForm { get; private set; }

    public int AuthorityStart { get; private set; }

    public int AuthorityLength { get; private set; }

    /// <summary>Index in <see cref="Headers"/> of the Host line.</summary>
    public int HostIndex { get; private set; }

    /// <summary>
    /// The request carries a header that claims the caller's identity (<see cref="Forwarding.IdentityHeaders"/>): the
    /// inbound listener leaves it to the full path, which removes it.
    /// </summary>
    public bool ClaimsIdentity { get; private set; }

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
        ClaimsIdentity = false;
        SourceWorkloadStart = 0;
        SourceWorkloadLength = 0;
        var sourceWorkloads = 0;
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
                case Field.SourceWorkload:
                    var rest = line[(name.Length + 1)..];
                    SourceWorkloadStart = pos + name.Length + 1 + (rest.Length - rest.TrimStart(" \t"u8).Length);
                    SourceWorkloadLength = ++sourceWorkloads == 1 ? value.Length : 0;
                    drop = true;
                    break;
                case Field.Unsupported:
                    return HeadStatus.Unsupported;
                case Field.IdentityClaim:
                    ClaimsIdentity = true;
                    break;
                default:
                    drop = Forwarding.Hop.IsHopByHop(name); // the full path (YARP) drops these too
                    break;
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
        IdentityClaim,
        SourceWorkload,
        Unsupported,
    }

    /// <summary>
    /// The headers the fast path reads, and those it leaves to the full path (Unsupported): the ones that change framing
    /// or ask a proxy for something it does not do itself (Transfer-Encoding, TE, Trailer, Upgrade, Expect, Keep-Alive,
    /// Proxy-Connection). Any other hop-by-hop one (<see cref="Forwarding.Hop"/>) is dropped.
    /// </summary>
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
        17 when System.Text.Ascii.EqualsIgnoreCase(name, Weft.Routing.MeshWire.SourceWorkloadHeaderAscii) => Field.SourceWorkload,
        23 when System.Text.Ascii.EqualsIgnoreCase(name, Forwarding.IdentityHeaders.ForwardedClientCertAscii) => Field.IdentityClaim,
        _ => Field.Other,
    };
}
