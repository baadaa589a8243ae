using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Grpc;
using Weft.Proxy.Metrics;
using Weft.Proxy.Resilience;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The outbound data path, per request: original destination → policy → rule match → filters → backend → endpoint →
/// the endpoint's sidecar (inbound port, <c>weft-dst-port</c>). gRPC calls are planned as GRPCRoute calls and answered
/// with gRPC statuses; CORS preflights are answered here; mirrors, timeouts and retries follow the matched rule.
/// </summary>
internal sealed class OutboundHandler(
    IDestinationSource destinations,
    IHttpForwarder yarp,
    ResilientForwarder forwarder,
    ForwardingClient client,
    RequestMirror mirror,
    ProxyMetrics metrics,
    TimeProvider time,
    Func<int> peerInboundPort,
    OutsideMesh outside,
    ILogger logger,
    Tap.TapHub? tap = null)
{
    // Metric label strings built once per policy object (policies are immutable, replaced on each discovery update),
    // not per request; the tables hold them only as long as the policy objects live.
    private static readonly ConditionalWeakTable<DestinationPolicy, DestinationStrings> DestinationStringsOf = new();
    private static readonly ConditionalWeakTable<RuleOrigin, string> RuleLabelOf = new();
    private static readonly ConditionalWeakTable<BackendPolicy, string> BackendLabelOf = new();

    /// <summary>The outbound listener's part in trace context, CLIENT spans (null: tracing off).</summary>
    public Tracing.HttpTracer? Tracing { get; init; }

    public async Task HandleAsync(HttpContext context)
    {
        if (!await ChunkedBodyStart.ParsesAsync(context))
        {
            return;
        }

        if (!TryGetDestination(context, out var host, out var port))
        {
            ProxyLog.NoDestination(logger, context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget, context.Connection.RemoteIpAddress?.ToString());
            await RespondAsync(context, StatusCodes.Status400BadRequest, "no destination: send an absolute-form http:// request or CONNECT host:port first");
            return;
        }

        TargetHost.Supply(context, (host, port));
        context.Request.Headers.Remove(Weft.Routing.MeshWire.SourceWorkloadHeader); // only this sidecar says which workload calls
        RouteTable? table;
        try
        {
            table = await DestinationLookup.GetAsync(context.Features, destinations, host, port, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            ProxyLog.DiscoveryFailed(logger, host, port, ex);
            await RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"no policy for {host}:{port}: {ex.Message}");
            return;
        }

        if (table is null && await outside.DeclaredAsync(host, context.Request.Host.Host, port, context.RequestAborted) is { } declared)
        {
            table = declared; // an address the mesh does not know, whose Host an XBackend of the namespace declares
        }

        if (table is null)
        {
            await ForwardOutsideMeshAsync(context, host, port);
            return;
        }

        var started = time.GetTimestamp();
        var request = context.Request;
        var grpc = GrpcCall.IsGrpc(request);
        var query = request.QueryString.HasValue ? request.QueryString.Value![1..] : null;
        var plan = RequestPlanner.PlanRequest(table, request.Method, request.Path.Value ?? "/", query, new HeaderDictionaryAccess(request.Headers), port, HandedOnDraw.Take(context.Features));

        var labels = Labels(table.Policy, plan, null);
        EndpointPolicy? endpoint = null;
        var span = Tracing?.Start(context, labels, host, port);
        try
        {
            endpoint = await ServeAsync(context, table.Policy, plan, grpc, labels);
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            var final = endpoint is null ? labels : Labels(table.Policy, plan, endpoint);
            var status = AnsweredStatus.Of(context);
            metrics.RecordRequest(final, status, elapsed);
            span?.End(status);
            tap?.Offer(context, final, status, elapsed);
        }
    }

    /// <returns>The endpoint that served the request; null when the proxy answered it.</returns>
    private async Task<EndpointPolicy?> ServeAsync(HttpContext context, DestinationPolicy policy, RequestPlan plan, bool grpc, RequestLabels labels)
    {
        if (plan.GrpcStatus is int grpcStatus)
        {
            // Never an HTTP error status to a gRPC client: a trailers-only answer (UNIMPLEMENTED, UNAVAILABLE...).
            GrpcCall.Answer(context.Response, grpcStatus, plan.Message);
            return null;
        }

        if (plan.Respond)
        {
            if (plan.Location is not null)
            {
                context.Response.StatusCode = plan.Status;
                context.Response.Headers.Location = plan.Location;
                context.Response.ContentLength = 0;
                return null;
            }

            await RespondAsync(context, plan.Status, plan.Message ?? "");
            return null;
        }

        var request = context.Request;
        IReadOnlyList<KeyValuePair<string, string>>? corsHeaders = null;
        if (plan.Cors is { } cors)
        {
            var origin = request.Headers.Origin.ToString();
            var requestMethod = request.Headers[CorsPreflight.RequestMethod].ToString();
            if (CorsPreflight.IsPreflight(request.Method, origin, requestMethod))
            {
                // The CORS filter: the proxy answers the preflight itself (204), allowed or not.
                context.Response.StatusCode = CorsPreflight.PreflightStatus;
                foreach (var (name, value) in CorsPreflight.Preflight(cors, origin, requestMethod, request.Headers[CorsPreflight.RequestHeaders].ToString()) ?? [])
                {
                    context.Response.Headers[name] = value;
                }

                return null;
            }

            corsHeaders = CorsPreflight.ForResponse(cors, origin);
        }

        var replayable = ResilientForwarder.PrepareBody(context, plan.Rule?.Retry is not null || plan.Mirrors.Count > 0);
        if (!replayable && grpc && plan.Rule?.Retry is not null && request.ContentLength is null)
        {
            // gRPC clients send no Content-Length: a unary call's single message is buffered so a status can be retried.
            replayable = await UnaryBody.TryBufferAsync(context, ResilientForwarder.MaxReplayableBody, time);
        }

        var inboundPort = peerInboundPort();
        if (plan.Mirrors.Count > 0)
        {
            var body = replayable ? await ReadBufferedBodyAsync(request, context.RequestAborted) : null;
            foreach (var mirrored in plan.Mirrors)
            {
                if (MirrorSampler.ShouldMirror(mirrored, Random.Shared.NextDouble()))
                {
                    mirror.Send(context, mirrored, plan.Path, plan.Host, inboundPort, body);
                }
            }
        }

        return await forwarder.ForwardAsync(context, plan, StringsOf(policy).Service, grpc, replayable, labels,
            inboundPort, corsHeaders is { Count: > 0 } ? corsHeaders : null);
    }

    /// <summary>A buffered body (≤ 64 KiB, see <see cref="ResilientForwarder.PrepareBody"/>) read whole for the mirror, then rewound.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBufferedBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.Body.CanSeek || request.ContentLength is not > 0)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, ct);
        request.Body.Position = 0;
        return copy.ToArray();
    }

    /// <summary>
    /// The metric labels of a planned request: its destination, rule and backend, and the workload of the
    /// <paramref name="endpoint"/> that served it (in the backend's namespace), when one did.
    /// </summary>
    internal static RequestLabels Labels(DestinationPolicy policy, RequestPlan plan, EndpointPolicy? endpoint) =>
        Labels(policy, plan.Rule?.Origin, plan.Backend, endpoint);

    /// <summary>
    /// The metric labels of a request or L4 connection that <paramref name="origin"/>'s rule sent to <paramref name="backend"/>;
    /// a call to a pod IP (a policy and backend that name no Service, gamma-spec A7) has no <c>dst_service</c> and no <c>backend</c>.
    /// </summary>
    internal static RequestLabels Labels(DestinationPolicy policy, RuleOrigin? origin, BackendPolicy? backend, EndpointPolicy? endpoint)
    {
        return new RequestLabels(
            "outbound", policy.ServiceNamespace, policy.ServiceName, StringsOf(policy).Port,
            origin?.RouteKind ?? "", origin?.RouteNamespace ?? "", origin?.RouteName ?? "",
            origin is null ? "" : RuleLabelOf.GetValue(origin, static o => o.RuleName ?? o.RuleIndex.ToString(CultureInfo.InvariantCulture)),
            backend is null || backend.Name.Length == 0 ? "" : BackendLabelOf.GetValue(backend, static b => $"{b.Namespace}/{b.Name}:{b.Port}"),
            endpoint is null || backend is null ? "" : backend.Namespace, endpoint?.Workload ?? "", endpoint?.Identity ?? "");
    }

    private static DestinationStrings StringsOf(DestinationPolicy policy) =>
        DestinationStringsOf.GetValue(policy, static p => new DestinationStrings(
            p.Port.ToString(CultureInfo.InvariantCulture), $"{p.ServiceNamespace}/{p.ServiceName}:{p.Port}"));

    /// <summary>The destination's port label and its <c>namespace/name:port</c> key (the retry budget's).</summary>
    private sealed record DestinationStrings(string Port, string Service);

    /// <summary>
    /// Not a mesh destination: what the client's outbound policy says (<see cref="OutsideMesh"/>): refused with its reason
    /// (a gRPC status to a gRPC client), or forwarded untouched to where the app sent it, the app's Host kept.
    /// </summary>
    private async Task ForwardOutsideMeshAsync(HttpContext context, string host, int port)
    {
        OutsideVerdict verdict;
        try
        {
            verdict = await outside.DecideAsync(host, port, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (verdict.Address is not { } address)
        {
            if (GrpcCall.IsGrpc(context.Request))
            {
                GrpcCall.Answer(context.Response, verdict.GrpcStatus, verdict.Message);
                return;
            }

            await RespondAsync(context, verdict.Status, verdict.Message!);
            return;
        }

        var error = await yarp.SendAsync(context, "http://" + Authority.Format(address.ToString(), port), client.Invoker, client.ConfigFor(context), new MeshTransformer());
        if (error != ForwarderError.None)
        {
            ProxyLog.ForwardFailed(logger, error.ToString(), host, port, "", "(outside the mesh)", context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
            await ForwardFailure.AnswerAsync(context, $"{Authority.Format(host, port)} (outside the mesh, at {address})");
        }
    }

    /// <summary>The CONNECT tunnel's target, else the absolute-form request target's authority (port 80 by default).</summary>
    internal static bool TryGetDestination(HttpContext context, out string host, out int port)
    {
        if (context.Features.Get<IOriginalDestinationFeature>() is { } original)
        {
            host = original.Host;
            port = original.Port;
            return true;
        }

        host = "";
        port = 0;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        const string Scheme = "http://";
        if (target is null || !target.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = target.AsSpan(Scheme.Length);
        var end = rest.IndexOfAny("/?#");
        var authority = (end < 0 ? rest : rest[..end]).ToString();
        return !authority.Contains('@', StringComparison.Ordinal) && ConnectTunnelMiddleware.TryParseAuthority(authority, 80, out host, out port);
    }

    internal static Task RespondAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("weft: " + message + "\n");
    }
}
