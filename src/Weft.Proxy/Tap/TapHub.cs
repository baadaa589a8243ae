using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Discovery.V1;
using Weft.Proxy.Grpc;
using Weft.Proxy.Http1;
using Weft.Proxy.Metrics;
using Weft.Proxy.Outbound;

namespace Weft.Proxy.Tap;

/// <summary>
/// The sidecar's live request feed (issue 16, <c>weft tap</c> / <c>weft top</c>): each completed request, both directions,
/// both HTTP paths, is offered here once. With no tap open an offer is one volatile read and returns: no event is built,
/// nothing allocated, no lock taken. With taps open, one event is built and each tap's <see cref="TapSession"/> filters
/// and bounds it. At most <see cref="MaxTaps"/> taps at once; each is bounded in queue, rate, count and time.
/// </summary>
internal sealed class TapHub(LocalWorkload local, string podName, TimeProvider time)
{
    /// <summary>The most taps open at once on one sidecar.</summary>
    public const int MaxTaps = 4;

    /// <summary>Events a tap's queue holds for a slow reader before it drops.</summary>
    public const int QueueCapacity = 256;

    /// <summary>The most events per second one tap receives (a request may ask for fewer).</summary>
    public const int MaxPerSecond = 100;

    /// <summary>The most events one tap receives in all.</summary>
    public const int MaxEvents = 100_000;

    /// <summary>The longest one tap stays open.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new(); // opening and closing taps only
    private TapSession[]? _sessions; // null while no tap is open: the data path's one read

    /// <summary>The pod this sidecar serves, <c>namespace/name</c>.</summary>
    public string Pod { get; } = $"{local.Namespace}/{podName}";

    /// <summary>Whether a tap is open.</summary>
    public bool Active => Volatile.Read(ref _sessions) is not null;

    /// <summary>The taps open now.</summary>
    public int Count => Volatile.Read(ref _sessions)?.Length ?? 0;

    /// <summary>Opens a tap with <paramref name="request"/>'s filters and bounds (capped by this hub's); null when <see cref="MaxTaps"/> are open.</summary>
    public TapSession? TryOpen(TapRequest request)
    {
        var session = new TapSession(
            TapFilter.From(request),
            QueueCapacity,
            request.MaxPerSecond is > 0 and < MaxPerSecond ? (int)request.MaxPerSecond : MaxPerSecond,
            request.MaxEvents is > 0 and < MaxEvents ? request.MaxEvents : MaxEvents,
            request.MaxSeconds > 0 && TimeSpan.FromSeconds(request.MaxSeconds) < MaxDuration ? TimeSpan.FromSeconds(request.MaxSeconds) : MaxDuration,
            time);
        lock (_gate)
        {
            var open = _sessions ?? [];
            if (open.Length >= MaxTaps)
            {
                return null;
            }

            Volatile.Write(ref _sessions, [.. open, session]);
        }

        return session;
    }

    /// <summary>Closes <paramref name="session"/>: it receives nothing more; the last tap closed makes offers free again.</summary>
    public void Close(TapSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Complete();
        lock (_gate)
        {
            if (_sessions is not { } open)
            {
                return;
            }

            var rest = open.Where(s => s != session).ToArray();
            Volatile.Write(ref _sessions, rest.Length == 0 ? null : rest);
        }
    }

    /// <summary>A request the full (Kestrel) path completed, with its metric labels and the status it is counted with (<see cref="AnsweredStatus"/>).</summary>
    public void Offer(HttpContext context, in RequestLabels labels, int status, TimeSpan elapsed)
    {
        if (Volatile.Read(ref _sessions) is not { } sessions)
        {
            return;
        }

        var request = context.Request;
        if (!AnyWants(sessions, labels.Direction, request.Method))
        {
            return;
        }

        // Still percent-encoded, as the fast path sees it: Kestrel has decoded Path, and a decoded path may hold control bytes.
        // Without the query, which Kestrel keeps apart (a '?' in the path is re-encoded as %3F).
        var path = request.Path.ToUriComponent();
        if (AnyWants(sessions, labels.Direction, request.Method, path))
        {
            var grpc = GrpcCall.IsGrpc(request);
            var e = Event(labels, request.Method, request.Scheme, request.Host.Value ?? "", path, status, elapsed, grpc);
            if (grpc && GrpcCall.StatusOf(context.Response) is int grpcStatus)
            {
                e.GrpcStatus = grpcStatus;
            }

            Offer(sessions, e);
        }
    }

    /// <summary>A request the HTTP/1.1 fast path completed: its request line and Host are read from what went upstream.</summary>
    public void Offer(RelayExchange exchange, in RelayTarget target, int status, TimeSpan elapsed)
    {
        if (Volatile.Read(ref _sessions) is not null)
        {
            Offer(exchange.Send.AsSpan(0, exchange.SendLength), exchange.Request.MethodLength, exchange.Authority, target.Labels, status, elapsed);
        }
    }

    /// <summary>The fast path's request: <paramref name="sent"/> is the head as it went upstream (origin-form), its method <paramref name="methodLength"/> bytes.</summary>
    internal void Offer(ReadOnlySpan<byte> sent, int methodLength, string? authority, in RequestLabels labels, int status, TimeSpan elapsed)
    {
        if (Volatile.Read(ref _sessions) is not { } sessions)
        {
            return;
        }

        var method = OutboundHttp1Route.Method(sent[..methodLength]);
        if (!AnyWants(sessions, labels.Direction, method))
        {
            return;
        }

        // The target up to its query (a query string often carries tokens: it never leaves the sidecar), raw: still percent-encoded.
        var target = sent[(methodLength + 1)..];
        var path = Encoding.ASCII.GetString(target[..Math.Max(0, target.IndexOfAny((byte)' ', (byte)'?'))]);
        if (AnyWants(sessions, labels.Direction, method, path))
        {
            Offer(sessions, Event(labels, method, "http", authority ?? HostOf(sent), path, status, elapsed, grpc: false));
        }
    }

    // Whether any tap wants a request of this direction and method (and path): checked before an event is built.
    private static bool AnyWants(TapSession[] sessions, string direction, string method, string? path = null)
    {
        foreach (var session in sessions)
        {
            if (session.Filter.Admits(direction, method, path))
            {
                return true;
            }
        }

        return false;
    }

    private static void Offer(TapSession[] sessions, TapEvent e)
    {
        foreach (var session in sessions)
        {
            session.Offer(e);
        }
    }

    // Both ends from the labels and this sidecar's workload, as the metrics name them (CallEnds). The path comes without its query.
    private TapEvent Event(in RequestLabels labels, string method, string scheme, string authority, string path, int status, TimeSpan elapsed, bool grpc)
    {
        var ends = CallEnds.Of(labels, local, local.Identity);
        return new TapEvent
        {
            TimeUnixMicros = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000,
            Direction = labels.Direction,
            Method = method,
            Scheme = scheme,
            Authority = authority,
            Path = path,
            Status = status,
            LatencyMicros = (long)elapsed.TotalMicroseconds,
            Grpc = grpc,
            SrcNamespace = ends.SrcNamespace,
            SrcWorkload = ends.SrcWorkload,
            SrcIdentity = ends.SrcIdentity,
            DstNamespace = ends.DstNamespace,
            DstWorkload = ends.DstWorkload,
            DstIdentity = ends.DstIdentity,
            DstService = labels.DstService.Length == 0 ? "" : $"{labels.DstNamespace}/{labels.DstService}",
            Route = labels.Route,
            Rule = labels.Rule,
            Backend = labels.Backend,
            Pod = Pod,
        };
    }

    // The Host line of a request as it went upstream (fast path, origin-form): "" when it has none.
    private static string HostOf(ReadOnlySpan<byte> sent)
    {
        var headers = sent[(sent.IndexOf("\r\n"u8) + 2)..];
        while (headers.Length > 2)
        {
            var end = headers.IndexOf("\r\n"u8);
            if (end <= 0)
            {
                break;
            }

            if (Http1Syntax.TrySplit(headers[..end], out var name, out var value) && Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                return Encoding.ASCII.GetString(value);
            }

            headers = headers[(end + 2)..];
        }

        return "";
    }
}
