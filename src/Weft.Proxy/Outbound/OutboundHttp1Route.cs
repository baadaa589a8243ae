using System.Text;
using Microsoft.AspNetCore.Connections;
using Weft.Proxy.Admin;
using Weft.Proxy.Discovery;
using Weft.Proxy.Http1;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Metrics;
using Weft.Routing.Filters;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The outbound listener's fast path, for the requests whose plan is a plain forward: the destination (the CONNECT
/// tunnel's, or the absolute-form target's authority) is a mesh Service, and the matched rule (or the Service's default
/// backend) has no filter, timeout or retry, and picks an HTTP/1.1 backend with ready endpoints. Planning is the
/// <see cref="RequestPlanner.Plan"/> that <see cref="OutboundHandler"/>'s <see cref="RequestPlanner.PlanRequest"/> makes for
/// a request that is not gRPC (gRPC calls are left to it), on the same path string (requests whose path
/// Kestrel would decode or normalise, with '%' or dot segments, are left to it), and the endpoint is chosen by the same
/// power of two choices. Everything else — answers, redirects, filters, retries, mirrors, gRPC, HTTP/2 backends,
/// destinations outside the mesh — is handed to <see cref="OutboundHandler"/>.
/// </summary>
internal sealed class OutboundHttp1Route(
    IDestinationSource destinations, PowerOfTwoChoices balancer, bool mtls, Func<int> peerInboundPort, ProxyMetrics metrics, ProxyStats stats,
    Tap.TapHub? tap = null) : Http1Route
{
    private readonly byte[] _sourceWorkloadLine = metrics.Local.HeaderValue is { } workload
        ? Encoding.ASCII.GetBytes($"{Weft.Routing.MeshWire.SourceWorkloadHeader}: {workload}\r\n")
        : [];

    public override bool AbsoluteForm => true;

    public override ReadOnlySpan<byte> SourceWorkloadLine => _sourceWorkloadLine;

    public override async ValueTask<bool> PrepareAsync(ConnectionContext connection, RelayExchange exchange, CancellationToken ct)
    {
        string host;
        int port;
        if (connection.Features.Get<IOriginalDestinationFeature>() is { } original)
        {
            (host, port) = (original.Host, original.Port);
        }
        else if (!exchange.Request.AbsoluteForm || exchange.Authority is not { } authority
            || !ConnectTunnelMiddleware.TryParseAuthority(authority, 80, out host, out port))
        {
            return false;
        }

        if (DestinationLookup.Pending(connection.Features, host, port))
        {
            return false; // the L4 path's look-up failed: OutboundHandler answers 503 with its reason
        }

        try
        {
            exchange.Table = await destinations.GetAsync(host, port, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DestinationLookup.Failed(connection.Features, host, port, e);
            return false; // OutboundHandler answers 503 with the reason, without asking again
        }

        exchange.DestinationHost = host;
        exchange.DestinationPort = port;
        return exchange.Table is not null;
    }

    public override bool TryDecide(ReadOnlySpan<byte> head, RelayExchange exchange, out RelayTarget target)
    {
        target = default;
        exchange.Draw = double.NaN;
        var request = exchange.Request;
        var table = exchange.Table!;
        var target0 = request.Target(head);
        var q = target0.IndexOf((byte)'?');
        var pathBytes = q < 0 ? target0 : target0[..q];
        if (pathBytes.ContainsAny(NormalisedByKestrel) || pathBytes.IndexOf("/."u8) >= 0 || (request.AbsoluteForm && !HostIsAuthority(head, request)))
        {
            return false;
        }

        var headers = exchange.Headers(head);
        if (headers.TryGetValue("content-type", out var contentType) && GrpcRequest.IsGrpcContentType(contentType))
        {
            return false;
        }

        exchange.Draw = Random.Shared.NextDouble();
        var plan = RequestPlanner.Plan(table, Method(head[..request.MethodLength]), Encoding.ASCII.GetString(pathBytes),
            q < 0 ? null : Encoding.ASCII.GetString(target0[(q + 1)..]), headers, exchange.DestinationPort, exchange.Draw);
        // The planner's plain forward (no filter, timeout or retry), to an HTTP/1.1 backend.
        if (!plan.IsPlainForward || plan.Backend is not { AppProtocol: not BackendAppProtocol.Http2 } backend)
        {
            return false;
        }

        var endpoint = backend.Endpoints[balancer.Pick(backend.Endpoints, Random.Shared)];
        var labels = OutboundHandler.Labels(table.Policy, plan, endpoint);
        var hop = Forwarding.NextHop.To(endpoint, mtls, peerInboundPort());
        target = new RelayTarget(new UpstreamKey(hop.Address, hop.Port, hop.Identity), hop.ViaSidecar ? endpoint.Port : 0, labels, balancer.LoadOf(endpoint), labels.Backend);
        return true;
    }

    /// <summary>
    /// A request planned here and handed on (its backend is not a plain HTTP/1.1 forward) is planned again by
    /// <see cref="OutboundHandler"/> with the same draw (<see cref="HandedOnDraw"/>): the backends keep their weights.
    /// </summary>
    public override void HandingOn(ConnectionContext connection, RelayExchange exchange)
    {
        if (!double.IsNaN(exchange.Draw))
        {
            HandedOnDraw.Carry(connection.Features, exchange.Draw);
        }
    }

    public override void Record(in RelayTarget target, RelayExchange exchange, int status, TimeSpan elapsed)
    {
        metrics.RecordRequest(target.Labels, status, elapsed);
        stats.RecordOutbound(status);
        tap?.Offer(exchange, target, status, elapsed);
    }

    // Paths Kestrel decodes ('%') or, in an absolute-form target, System.Uri rewrites ('\\' becomes '/'): planning them
    // from the raw bytes could pick another rule than the full path does, so they take the full path.
    internal static readonly System.Buffers.SearchValues<byte> NormalisedByKestrel = System.Buffers.SearchValues.Create("%\\"u8);

    /// <summary>
    /// Whether the Host the full path would send (Kestrel's AllowHostHeaderOverride: the target's authority as
    /// System.Uri writes it, lower-case, without a default :80) is the client's Host line as it is. Then both the rules
    /// and the next hop see that line; anything else (another Host, upper case, ":80", IPv6) takes the full path.
    /// </summary>
    private static bool HostIsAuthority(ReadOnlySpan<byte> head, RequestHead request)
    {
        var authority = head.Slice(request.AuthorityStart, request.AuthorityLength);
        var line = head.Slice(request.Headers[request.HostIndex].Start, request.Headers[request.HostIndex].Length);
        return Http1Syntax.TrySplit(line, out _, out var host) && host.SequenceEqual(authority)
            && !authority.ContainsAnyInRange((byte)'A', (byte)'Z') && !authority.EndsWith(":80"u8) && !authority.Contains((byte)'[');
    }

    internal static string Method(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("GET"u8) => "GET",
        _ when method.SequenceEqual("POST"u8) => "POST",
        _ when method.SequenceEqual("PUT"u8) => "PUT",
        _ when method.SequenceEqual("DELETE"u8) => "DELETE",
        _ when method.SequenceEqual("HEAD"u8) => "HEAD",
        _ when method.SequenceEqual("PATCH"u8) => "PATCH",
        _ when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ => Encoding.ASCII.GetString(method),
    };
}
