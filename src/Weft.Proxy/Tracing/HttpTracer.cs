using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Http1;
using Weft.Proxy.Inbound;
using Weft.Proxy.Metrics;
using Weft.Routing.Tracing;

namespace Weft.Proxy.Tracing;

/// <summary>
/// One listener's part in W3C Trace Context, on both of its request paths (the HTTP/1.1 fast path and Kestrel + YARP):
/// decides whether a request is traced, makes its span, and puts that span's id in the <c>traceparent</c> that goes on.
/// An incoming <c>traceparent</c> that parses and says sampled is continued (a child span, its <c>tracestate</c> passed on
/// as it came); one that says not sampled is passed on untouched and costs nothing. None, or a malformed one (ignored,
/// W3C Trace Context §3.2), and the client sidecar starts a trace with probability <see cref="TracingSettings.SamplingRate"/>
/// (one random draw; a request not drawn gets nothing added), dropping any <c>tracestate</c> that came with it; the
/// server sidecar starts none (the client sidecar drew for the request already). The server sidecar continues a context
/// only from an mTLS-authenticated peer (another sidecar): from a plaintext caller it is treated as none, so a caller
/// cannot force tracing. Every span made first passes the sidecar's ceiling (<see cref="OtlpExporter.TryAdmit"/>), so
/// an app that marks all its requests sampled costs at most that many spans a second.
/// </summary>
internal sealed class HttpTracer(SpanKind kind, TracingSettings settings, OtlpExporter exporter, TimeProvider time)
{
    private const string TraceParentHeader = "traceparent";
    private const string TraceStateHeader = "tracestate";

    private readonly double _rate = settings.SamplingRate;

    public SpanKind Kind => kind;

    public TimeProvider Time => time;

    public OtlpExporter Exporter => exporter;

    /// <summary>
    /// The fast path's decision for a parsed request head: the span, or null (untraced: nothing to change). A span's
    /// request has its <c>traceparent</c> lines (and, for a new trace, its <c>tracestate</c> lines) marked dropped;
    /// <see cref="RelayExchange.Build"/> writes the span's own <c>traceparent</c> line.
    /// </summary>
    public TraceSpan? Start(ReadOnlySpan<byte> head, RelayExchange exchange, in RelayTarget target)
    {
        var request = exchange.Request;
        var count = 0;
        var at = -1;
        for (var i = 0; i < request.HeaderCount; i++)
        {
            if (IsNamed(head, request.Headers[i], TraceParent.HeaderName))
            {
                count++;
                at = i;
            }
        }

        var parsed = false;
        TraceParent incoming = default;
        if (count == 1)
        {
            parsed = Http1Syntax.TrySplit(head.Slice(request.Headers[at].Start, request.Headers[at].Length), out _, out var value)
                && TraceParent.TryParse(value, out incoming);
        }

        if (Begin(parsed && Continues(exchange.PeerIdentity), incoming) is not { } span)
        {
            return null;
        }

        var newTrace = span.ParentSpanId == 0;
        for (var i = 0; i < request.HeaderCount; i++)
        {
            ref var line = ref request.Headers[i];
            if (IsNamed(head, line, TraceParent.HeaderName) || (newTrace && IsNamed(head, line, "tracestate"u8)))
            {
                line.Drop = true;
            }
        }

        span.Method = Outbound.OutboundHttp1Route.Method(head[..request.MethodLength]);
        span.Path = Cut(Encoding.ASCII.GetString(request.Path(head)));
        if (kind == SpanKind.Client)
        {
            span.ServerAddress = exchange.DestinationHost;
            span.ServerPort = exchange.DestinationPort;
            span.DestinationIdentity = target.Key.Identity;
        }
        else
        {
            Http1Syntax.TrySplit(head.Slice(request.Headers[request.HostIndex].Start, request.Headers[request.HostIndex].Length), out _, out var host);
            var port = host.LastIndexOf((byte)':');
            span.ServerAddress = Encoding.ASCII.GetString(port > host.LastIndexOf((byte)']') ? host[..port] : host);
            span.ServerPort = request.DestinationPort;
            span.SourceIdentity = exchange.PeerIdentity;
        }

        Describe(span, target.Labels);
        return span;
    }

    /// <summary>
    /// The full path's decision for a request: the span, or null (untraced). A span's request carries the span's
    /// <c>traceparent</c> from here on (and, for a new trace, no <c>tracestate</c>).
    /// </summary>
    public TraceSpan? Start(HttpContext context, in RequestLabels labels, string? destinationHost, int destinationPort)
    {
        var request = context.Request;
        var headers = request.Headers;
        var values = headers[TraceParentHeader];
        TraceParent incoming = default;
        var parsed = values.Count == 1 && TraceParent.TryParse(values[0].AsSpan().Trim(" \t"), out incoming)
            && Continues(context.Features.Get<IPeerIdentityFeature>()?.PeerIdentity);
        if (Begin(parsed, incoming) is not { } span)
        {
            return null;
        }

        headers[TraceParentHeader] = span.Context.ToString();
        if (span.ParentSpanId == 0)
        {
            headers.Remove(TraceStateHeader);
        }

        span.Method = request.Method;
        span.Path = Cut(request.Path.Value ?? "/");
        span.ProtocolVersion = HttpProtocol.IsHttp2(request.Protocol) ? "2" : HttpProtocol.IsHttp10(request.Protocol) ? "1.0" : "1.1";
        if (kind == SpanKind.Client)
        {
            span.ServerAddress = destinationHost;
            span.ServerPort = destinationPort;
        }
        else
        {
            span.ServerAddress = request.Host.Host;
            span.ServerPort = destinationPort;
            span.SourceIdentity = context.Features.Get<IPeerIdentityFeature>()?.PeerIdentity;
        }

        Describe(span, labels);
        return span;
    }

    /// <summary>Parent-based sampling for a context that came in; otherwise a root, on the client side, at the rate.</summary>
    private TraceSpan? Begin(bool parsed, in TraceParent incoming)
    {
        Span<byte> random = stackalloc byte[24];
        if (parsed)
        {
            if (!incoming.Sampled)
            {
                return null;
            }

            if (!exporter.TryAdmit())
            {
                return null;
            }

            Random.Shared.NextBytes(random[..8]);
            return Make(incoming.TraceIdHigh, incoming.TraceIdLow, incoming.SpanId, random);
        }

        if (kind != SpanKind.Client || _rate <= 0 || (_rate < 1 && Random.Shared.NextDouble() >= _rate) || !exporter.TryAdmit())
        {
            return null;
        }

        Random.Shared.NextBytes(random);
        var high = BinaryPrimitives.ReadUInt64LittleEndian(random[8..]);
        var low = BinaryPrimitives.ReadUInt64LittleEndian(random[16..]);
        return Make(high, low == 0 && high == 0 ? 1 : low, 0, random);
    }

    private TraceSpan Make(ulong high, ulong low, ulong parent, ReadOnlySpan<byte> random)
    {
        var id = BinaryPrimitives.ReadUInt64LittleEndian(random);
        var now = time.GetUtcNow();
        return new TraceSpan(this, new TraceParent(high, low, id == 0 ? 1 : id, TraceParent.SampledFlag), parent,
            (now - DateTimeOffset.UnixEpoch).Ticks * 100, time.GetTimestamp());
    }

    /// <summary>Whether an incoming context is continued: on the client side (the app's own), or from an mTLS peer.</summary>
    private bool Continues(string? peerIdentity) => kind == SpanKind.Client || peerIdentity is not null;

    /// <summary>The longest <c>url.path</c> a span keeps; a longer one is cut and ends with <see cref="CutMark"/>.</summary>
    public const int MaxPathLength = 256;

    /// <summary>What ends a cut <c>url.path</c>.</summary>
    public const string CutMark = "...";

    /// <summary>A path of at most <see cref="MaxPathLength"/> characters (the fast path's are ASCII: bytes), marked when cut.</summary>
    internal static string Cut(string path)
    {
        if (path.Length <= MaxPathLength)
        {
            return path;
        }

        var keep = MaxPathLength - CutMark.Length;
        if (char.IsHighSurrogate(path[keep - 1]))
        {
            keep--;
        }

        return string.Concat(path.AsSpan(0, keep), CutMark);
    }

    /// <summary>Weft's own attributes, from the request's metric labels (empty for what does not apply).</summary>
    private static void Describe(TraceSpan span, in RequestLabels labels)
    {
        if (labels.RouteName.Length > 0)
        {
            span.Route = labels.Route;
            span.Rule = labels.Rule;
        }

        span.Backend = labels.Backend.Length > 0 ? labels.Backend : null;
        span.DestinationService = labels.DstService.Length > 0 ? $"{labels.DstNamespace}/{labels.DstService}:{labels.DstPort}" : null;
    }

    private static bool IsNamed(ReadOnlySpan<byte> head, in HeaderLine line, ReadOnlySpan<byte> name) =>
        line.Length > name.Length && head[line.Start + name.Length] == ':'
        && Ascii.EqualsIgnoreCase(head.Slice(line.Start, name.Length), name);
}
