using System.Buffers;
using System.Globalization;
using System.Text;
using Weft.Routing;

namespace Weft.Proxy.Http1;

/// <summary>
/// One client connection's request state for the relay, reused request after request: the parsed heads, the bytes to
/// send upstream, and what a route looked up between parsing and deciding.
/// </summary>
internal sealed class RelayExchange : IDisposable
{
    // Room for the lines Build adds to a head: weft-dst-port and traceparent (70 bytes), with their CRLFs.
    private const int AddedLines = 128;

    /// <summary>
    /// The largest request body the fast path carries: it sends a request whole, head and body in one write, so it can
    /// always send it again (on a new connection, when the app had closed the pooled one). A larger body is streamed by
    /// the full path, which also passes on an answer the app gives before it has read the body (a 413, a 401).
    /// </summary>
    public const int MaxBody = 12 * 1024;

    private static ReadOnlySpan<byte> Version => " HTTP/1.1\r\n"u8;

    private byte[]? _scratch;
    private RawHeaders? _headers;
    private byte[] _authorityBytes = [];
    private bool _fromScratch;
    private int _dataLength;

    public RequestHead Request { get; } = new();

    public ResponseHead Response { get; } = new();

    private byte[]? _send;

    /// <summary>
    /// The request as it goes upstream, head and body (<see cref="Build"/> lays it out): rented for an exchange, as large
    /// as that request can become, and returned by <see cref="Release"/> when it is over, so an idle keep-alive connection
    /// holds no buffer (20,000 idle connections held 320 MB of them).
    /// </summary>
    /// <remarks>
    /// Sized to the request, not to the largest one: a fixed 16 KB buffer for a 100-byte GET outran the shared pool's
    /// cache at 50 exchanges in flight, so most exchanges allocated one. That was ~6 KB of garbage per request, and the
    /// buffers in flight at each collection were promoted: the GC heap, and the sidecar's RSS under load, grew by tens of MB
    /// (bench/RESULTS.md).
    /// </remarks>
    public byte[] Send => _send ?? throw new InvalidOperationException("Build lays out the request first.");

    public int SendLength { get; private set; }

    /// <summary>Client bytes taken by <see cref="Build"/>: the head and the body, both copied into <see cref="Send"/>.</summary>
    public long Consumed { get; private set; }


    /// <summary>Set by a route's <see cref="Http1Route.PrepareAsync"/>: the destination (host, port) and its route table.</summary>
    public string DestinationHost { get; set; } = "";

    public int DestinationPort { get; set; }

    public RouteTable? Table { get; set; }

    /// <summary>The connection's verified mTLS peer identity (null: plaintext), set by a route's <see cref="Http1Route.PrepareAsync"/>.</summary>
    public string? PeerIdentity { get; set; }

    /// <summary>
    /// Set by a route's <see cref="Http1Route.TryDecide"/> for a request the proxy answers itself (an inbound request the
    /// pod's authorization policy denies): a whole HTTP/1.1 response, sent instead of forwarding; the request is consumed.
    /// </summary>
    public ReadOnlyMemory<byte> LocalAnswer { get; set; }

    /// <summary>The status of <see cref="LocalAnswer"/>, for the route's accounting.</summary>
    public int LocalStatus { get; set; }

    /// <summary>
    /// The random draw a route's <see cref="Http1Route.TryDecide"/> planned the request with (NaN: none), which
    /// <see cref="Http1Route.HandingOn"/> can carry to the path the request is handed on to.
    /// </summary>
    public double Draw { get; set; } = double.NaN;

    /// <summary>An absolute-form target's authority (kept from request to request while it does not change).</summary>
    public string? Authority { get; private set; }

    /// <summary>The request's headers for matching, valid until the next request.</summary>
    public RawHeaders Headers(ReadOnlySpan<byte> head)
    {
        _headers ??= new RawHeaders();
        _headers.Reset(head, Request);
        return _headers;
    }

    /// <summary>Parses the head at the start of <paramref name="buffer"/> (copied aside first if it spans segments).</summary>
    public HeadStatus Parse(ReadOnlySequence<byte> buffer, bool absoluteForm)
    {
        Table = null;
        LocalAnswer = default;
        LocalStatus = 0;
        _fromScratch = !buffer.IsSingleSegment;
        _dataLength = (int)Math.Min(buffer.Length, Http1Relay.MaxHead);
        if (_fromScratch)
        {
            _scratch ??= ArrayPool<byte>.Shared.Rent(Http1Relay.MaxHead);
            buffer.Slice(0, _dataLength).CopyTo(_scratch);
        }

        var data = Head(buffer);
        var status = Request.Parse(data, absoluteForm);
        if (status == HeadStatus.NeedMore && buffer.Length >= Http1Relay.MaxHead)
        {
            return HeadStatus.Unsupported; // no head end in MaxHead bytes: Kestrel answers it (431)
        }

        if (status == HeadStatus.Ready && Request.AbsoluteForm)
        {
            var authority = data.Slice(Request.AuthorityStart, Request.AuthorityLength);
            if (Authority is null || !authority.SequenceEqual(_authorityBytes))
            {
                _authorityBytes = authority.ToArray();
                Authority = Encoding.ASCII.GetString(authority);
            }
        }

        if (status == HeadStatus.Ready && Request.ContentLength > 0)
        {
            // The body must come whole with the head (a client may send them in two writes: wait for the rest).
            if (Request.ContentLength > MaxBody)
            {
                return HeadStatus.Unsupported;
            }

            if (buffer.Length - Request.Length < Request.ContentLength)
            {
                return HeadStatus.NeedMore;
            }
        }

        return status;
    }

    /// <summary>
    /// Asks <paramref name="route"/> where the parsed request goes, then lays out what goes upstream: the request line
    /// (origin-form), the headers but the hop-by-hop ones (<see cref="Forwarding.Hop"/>) and <c>weft-dst-port</c> (an absolute-form request's Host is
    /// its target's authority already: the route sees to that), the target's <c>weft-dst-port</c>, the span's <c>traceparent</c> when the request is traced, and the body bytes
    /// (all of it: <see cref="Parse"/> waited for it).
    /// </summary>
    public bool Build(ReadOnlySequence<byte> buffer, Http1Route route, out RelayTarget target)
    {
        var data = Head(buffer);
        if (!route.TryDecide(data, this, out target))
        {
            return false;
        }

        if (route.Tracing is { } tracing)
        {
            target = target with { Span = tracing.Start(data, this, target) };
        }

        Return(ref _send); // Release ends every exchange; this only catches one that ended without it
        // The most the request can take: its head (the lines dropped only shrink it) with the lines added, and its body.
        _send = ArrayPool<byte>.Shared.Rent(Request.Length + (int)Request.ContentLength + AddedLines + route.SourceWorkloadLine.Length);

        var send = _send.AsSpan();
        var n = Append(send, 0, data[..(Request.MethodLength + 1)]);
        n = Append(send, n, Request.Target(data));
        n = Append(send, n, Version);
        for (var i = 0; i < Request.HeaderCount; i++)
        {
            ref readonly var line = ref Request.Headers[i];
            if (line.Drop)
            {
                continue;
            }

            n += Http1Syntax.WriteLine(send[n..], data.Slice(line.Start, line.Length));
        }

        if (target.DestinationPort != 0)
        {
            n = Append(send, n, MeshWire.DestinationPortLineStart);
            target.DestinationPort.TryFormat(send[n..], out var digits, provider: CultureInfo.InvariantCulture);
            n = Append(send, n + digits, Http1Syntax.Crlf);
            n = Append(send, n, route.SourceWorkloadLine);
        }

        if (target.Span is { } span)
        {
            n = Append(send, n, Tracing.TraceParent.HeaderName);
            n = Append(send, n, ": "u8);
            span.Context.Write(send[n..]);
            n = Append(send, n + Tracing.TraceParent.Length, Http1Syntax.Crlf);
        }

        n = Append(send, n, Http1Syntax.Crlf);
        var body = (int)Request.ContentLength; // ≤ MaxBody, and all here (Parse)
        buffer.Slice(Request.Length, body).CopyTo(send[n..]);
        SendLength = n + body;
        Consumed = Request.Length + body;
        return true;
    }

    /// <summary>Returns the buffers an exchange rented (the next one rents again); the parsed heads stay valid.</summary>
    public void Release()
    {
        Return(ref _send);
        Return(ref _scratch);
    }

    public void Dispose() => Release();

    private static void Return(ref byte[]? rented)
    {
        if (rented is { } buffer)
        {
            rented = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ReadOnlySpan<byte> Head(ReadOnlySequence<byte> buffer) =>
        _fromScratch ? _scratch.AsSpan(0, _dataLength) : buffer.FirstSpan[.._dataLength];

    private static int Append(Span<byte> to, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(to[at..]);
        return at + bytes.Length;
    }
}
