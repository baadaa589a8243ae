using System.Text;
using Microsoft.AspNetCore.Connections;
using Weft.Proxy.Admin;
using Weft.Proxy.Http1;
using Weft.Proxy.Metrics;
using Weft.Proxy.Outbound;
using Weft.Routing.Authorization;
using Weft.Routing.Planning;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The inbound listener's fast path: a request naming a valid <c>weft-dst-port</c> goes to that port of the app on the
/// pod IP, the header removed (as <see cref="InboundHandler"/> does); a missing or invalid one is left to the handler's 400.
/// The pod's authorization policy decides first (issue 14): a denied request is answered 403 here and never reaches the
/// app; anything the fast path cannot decide exactly as the full path would (a path Kestrel normalises, HEAD, gRPC, no
/// policy yet) is handed to the full path, which decides it itself.
/// </summary>
internal sealed class InboundHttp1Route(string podIp, InboundHandler handler, ProxyMetrics metrics, ProxyStats stats, Tap.TapHub? tap = null) : Http1Route
{
    private static readonly byte[] Forbidden = Answer(403, "Forbidden", InboundHandler.ForbiddenBody, close: false);
    private static readonly byte[] ForbiddenClose = Answer(403, "Forbidden", InboundHandler.ForbiddenBody, close: true);

    public override bool AbsoluteForm => false;

    public override ValueTask<bool> PrepareAsync(ConnectionContext connection, RelayExchange exchange, CancellationToken ct)
    {
        // A header claiming an identity goes the full path, which removes it before the policy and the app see the request.
        if (exchange.Request.DestinationPort == 0 || !handler.AcceptsPort(exchange.Request.DestinationPort) || exchange.Request.ClaimsIdentity)
        {
            return ValueTask.FromResult(false);
        }

        // The caller is the connection's verified mTLS peer (null: plaintext), set by InboundTlsMiddleware; never a header.
        exchange.PeerIdentity = connection.Features.Get<IPeerIdentityFeature>()?.PeerIdentity;
        return ValueTask.FromResult(true);
    }

    public override bool TryDecide(ReadOnlySpan<byte> head, RelayExchange exchange, out RelayTarget target)
    {
        var port = exchange.Request.DestinationPort;
        var request = exchange.Request;
        Span<char> claimed = stackalloc char[Math.Min(request.SourceWorkloadLength, InboundLabels.MaxHeaderLength + 1)];
        System.Text.Ascii.ToUtf16(head.Slice(request.SourceWorkloadStart, claimed.Length), claimed, out _);
        target = new RelayTarget(new UpstreamKey(podIp, port, null), 0, handler.LabelsFor(port, exchange.PeerIdentity, claimed), null, "the app");
        if (handler.Authorization is not { } authorization)
        {
            return true;
        }

        var path = request.Target(head);
        var q = path.IndexOf((byte)'?');
        var pathBytes = q < 0 ? path : path[..q];
        var headers = exchange.Headers(head);
        if (request.IsHead || pathBytes.ContainsAny(OutboundHttp1Route.NormalisedByKestrel) || pathBytes.IndexOf("/."u8) >= 0
            || (headers.TryGetValue("content-type", out var contentType) && GrpcRequest.IsGrpcContentType(contentType)))
        {
            return false; // the full path decides on the path as Kestrel reads it (and answers HEAD and gRPC its own way)
        }

        var verdict = authorization.Decide(
            new AuthorizationRequest(
                exchange.PeerIdentity, port, OutboundHttp1Route.Method(head[..request.MethodLength]), Encoding.ASCII.GetString(pathBytes), Query: q < 0 ? null : Encoding.ASCII.GetString(path[(q + 1)..])),
            headers);
        switch (verdict)
        {
            case InboundVerdict.Allowed:
                return true;
            case InboundVerdict.Denied:
                exchange.LocalStatus = 403;
                exchange.LocalAnswer = request.Close ? ForbiddenClose : Forbidden;
                return true;
            default:
                return false; // no policy yet: the full path answers 503 and closes
        }
    }

    public override void Record(in RelayTarget target, RelayExchange exchange, int status, TimeSpan elapsed)
    {
        metrics.RecordRequest(target.Labels, status, elapsed);
        stats.RecordInbound(status);
        tap?.Offer(exchange, target, status, elapsed);
    }

    private static byte[] Answer(int status, string reason, string body, bool close) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n{(close ? "Connection: close\r\n" : "")}\r\n{body}");
}
