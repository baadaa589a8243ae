using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Grpc;
using Weft.Proxy.Metrics;
using Weft.Proxy.Outbound;
using Weft.Routing.Authorization;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The inbound data path: a peer sidecar says which app port it meant in <c>weft-dst-port</c>; the header is removed and
/// the request goes to the app on the pod IP with Host, path and headers as they came, in the HTTP version it came in
/// (HTTP/2 stays HTTP/2, an HTTP/1.1 Upgrade stays an upgrade).
/// </summary>
internal sealed class InboundHandler(
    IPAddress podIp, IHttpForwarder forwarder, ForwardingClient client, Func<int, bool> isOwnPort, ILogger logger,
    ProxyMetrics? metrics = null, TimeProvider? time = null, InboundAuthorization? authorization = null, Tap.TapHub? tap = null)
{
    /// <summary>The body of a denied HTTP request: it names no policy, rule or identity (issue 14).</summary>
    public const string ForbiddenBody = "forbidden: not authorized\n";

    /// <summary>The body of a request refused because no inbound policy has been received yet.</summary>
    public const string NoPolicyBody = "inbound policy not yet received\n";

    private readonly string _podHost = podIp.ToString();
    private readonly MeshTransformer _transformer = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // Per app port, built once: the forwarding prefix. The metric labels, per port and caller, are made once too.
    private readonly ConcurrentDictionary<int, string> _ports = new();
    private readonly InboundLabels _labels = new(metrics?.MaxSeries ?? ProxyMetrics.DefaultMaxSeries);

    /// <summary>The inbound authorization step, shared with the HTTP/1.1 fast path and the opaque tunnels.</summary>
    public InboundAuthorization? Authorization => authorization;

    /// <summary>Whether a request may name <paramref name="port"/> in <c>weft-dst-port</c>: a port, and not one of the proxy's own.</summary>
    public bool AcceptsPort(int port) => port is >= 1 and <= 65535 && !isOwnPort(port);

    /// <summary>
    /// The metric labels of requests to the app's <paramref name="port"/> from <paramref name="peerIdentity"/> (null:
    /// plaintext) that claimed to come from <paramref name="claimedWorkload"/> (the HTTP/1.1 fast path records with them too).
    /// </summary>
    public RequestLabels LabelsFor(int port, string? peerIdentity, ReadOnlySpan<char> claimedWorkload) => _labels.For(port, peerIdentity, claimedWorkload);

    private string PrefixOf(int port) =>
        _ports.TryGetValue(port, out var known) ? known : _ports.GetOrAdd(port, static (p, host) => "http://" + Authority.Format(host, p), _podHost);

    /// <summary>The inbound listener's part in trace context, SERVER spans (null: tracing off).</summary>
    public Tracing.HttpTracer? Tracing { get; init; }

    public async Task HandleAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        var headers = context.Request.Headers;
        if (!headers.TryGetValue(Weft.Routing.MeshWire.DestinationPortHeader, out var values) || values.Count != 1
            || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || !AcceptsPort(port))
        {
            ProxyLog.BadDestinationPort(logger, values.ToString(), context.Connection.RemoteIpAddress?.ToString());
            await OutboundHandler.RespondAsync(context, StatusCodes.Status400BadRequest, $"missing or invalid {Weft.Routing.MeshWire.DestinationPortHeader} header");
            return;
        }

        headers.Remove(Weft.Routing.MeshWire.DestinationPortHeader);
        IdentityHeaders.Strip(headers); // before the policy or the app sees them: only the mTLS handshake says who calls
        var claimed = headers.TryGetValue(Weft.Routing.MeshWire.SourceWorkloadHeader, out var workloads) && workloads.Count == 1 ? workloads[0] : null;
        headers.Remove(Weft.Routing.MeshWire.SourceWorkloadHeader); // believed for the metrics only, never passed on
        TargetHost.Supply(context, null);
        var prefix = PrefixOf(port);
        var labels = _labels.For(port, context.Features.Get<IPeerIdentityFeature>()?.PeerIdentity, claimed);
        var span = Tracing?.Start(context, labels, null, port);
        try
        {
            if (!await ChunkedBodyStart.ParsesAsync(context))
            {
                return;
            }

            if (authorization is not null && !await AuthorizeAsync(context, authorization, port))
            {
                return;
            }

            var error = await forwarder.SendAsync(context, prefix, client.Invoker, client.ConfigFor(context), _transformer);
            if (error != ForwarderError.None)
            {
                ProxyLog.ForwardFailed(logger, error.ToString(), _podHost, port, "", "the app", context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
                await ForwardFailure.AnswerAsync(context, $"the app at port {port}"); // said to the caller, through its own sidecar
            }
        }
        finally
        {
            var elapsed = _time.GetElapsedTime(started);
            var status = AnsweredStatus.Of(context);
            metrics?.RecordRequest(labels, status, elapsed);
            tap?.Offer(context, labels, status, elapsed);
            span?.End(status);
        }
    }

    /// <summary>
    /// Decides the request with the pod's inbound policy; false when it was answered here: 403 (gRPC: trailers-only
    /// PERMISSION_DENIED) when denied, 503 and the connection closed when no policy has been received yet.
    /// </summary>
    private async ValueTask<bool> AuthorizeAsync(HttpContext context, InboundAuthorization authorization, int port)
    {
        var request = context.Request;
        var grpc = GrpcCall.IsGrpc(request);
        var peer = context.Features.Get<IPeerIdentityFeature>()?.PeerIdentity;
        var verdict = authorization.Decide(
            new AuthorizationRequest(peer, port, request.Method, request.Path.Value ?? "/", grpc, request.QueryString.HasValue ? request.QueryString.Value![1..] : null),
            new HeaderDictionaryAccess(request.Headers));
        switch (verdict)
        {
            case InboundVerdict.Allowed:
                return true;
            case InboundVerdict.Denied when grpc:
                GrpcCall.Answer(context.Response, 7, "not authorized"); // PERMISSION_DENIED
                return false;
            case InboundVerdict.Denied:
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(ForbiddenBody);
                return false;
            default:
                ProxyLog.NoInboundPolicy(logger, "request", port, peer ?? "(plaintext)");
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                if (HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol))
                {
                    context.Response.Headers.Connection = "close"; // HTTP/2 has no such header: that connection stays up
                }

                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(NoPolicyBody);
                return false;
        }
    }
}
