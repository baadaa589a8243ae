using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.LoadBalancing;
using Weft.Routing;
using Weft.Routing.Policy;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// RequestMirror (gamma-spec G8): a copy of the request to one endpoint of the mirror backend (one address of an
/// XBackend's name; through the TLS a BackendTLSPolicy or XBackend asks for), sent in the background;
/// its response is discarded and it never delays or fails the original. The copy carries method, path, query and
/// headers, and the body when the original's was buffered (known length ≤ 64 KiB); a streamed body is not mirrored
/// (the copy then has headers only), because teeing a stream would tie the original's pace to the mirror's.
/// Whether to mirror at all (percent / fraction) is the caller's <c>MirrorSampler</c> decision. A copy to a peer sidecar
/// carries this sidecar's <see cref="MeshWire.SourceWorkloadHeader"/> (<c>sourceWorkload</c>,
/// <see cref="Metrics.LocalWorkload.HeaderValue"/>) as the original does, so the mirror's sidecar counts it under the
/// caller's workload.
/// </summary>
internal sealed class RequestMirror(ForwardingClient client, PowerOfTwoChoices balancer, External.ExternalConnector externals, ILogger logger, string? sourceWorkload = null)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public void Send(HttpContext context, MirrorPolicy mirror, string path, string? host, int peerInboundPort, ReadOnlyMemory<byte>? body = null)
    {
        var backend = mirror.Backend;
        if (backend.Invalid is not null || (backend.External is null && backend.Endpoints.Count == 0))
        {
            ProxyLog.MirrorSkipped(logger, backend.Namespace, backend.Name, backend.Invalid ?? "no endpoints");
            return;
        }

        // The copy is made now, while the original request is still there; where it goes may need a look-up (below).
        var request = Copy(context, backend, body);
        if (backend.External is { } external)
        {
            // An XBackend (issue 17): the sidecar's own resolution of its name, its TLS, its Host, as for the original.
            request.Headers.Host = host ?? external.Authority;
            _ = SendExternalAsync(request, new PathString(path), context.Request.QueryString, backend, external);
            return;
        }

        var endpoint = backend.Endpoints[balancer.Pick(backend.Endpoints, Random.Shared)];
        var (prefix, invoker, viaSidecar) = client.Route(backend, endpoint, peerInboundPort); // a BackendTLSPolicy's TLS too, as for the original

        request.RequestUri = RequestUtilities.MakeDestinationAddress(prefix, new PathString(path), context.Request.QueryString);
        request.Headers.Host = host ?? context.Request.Headers.Host.ToString();
        if (viaSidecar)
        {
            request.Headers.TryAddWithoutValidation(MeshWire.DestinationPortHeader, endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (sourceWorkload is not null)
            {
                request.Headers.TryAddWithoutValidation(MeshWire.SourceWorkloadHeader, sourceWorkload);
            }
        }

        _ = SendAsync(invoker, request, backend, balancer.LoadOf(endpoint));
    }

    /// <summary>The request's method, headers (no hop-by-hop, no Host, no <c>weft-*</c> mesh header) and buffered body, without a destination yet.</summary>
    private static HttpRequestMessage Copy(HttpContext context, BackendPolicy backend, ReadOnlyMemory<byte>? body)
    {
        var http2 = Grpc.GrpcCall.IsGrpc(context.Request) || HttpProtocol.IsHttp2(context.Request.Protocol) || backend.AppProtocol == BackendAppProtocol.Http2;
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), (Uri?)null)
        {
            Version = http2 ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            VersionPolicy = http2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is { } bytes)
        {
            request.Content = new ReadOnlyMemoryContent(bytes);
            foreach (var header in context.Request.Headers)
            {
                if (header.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
                }
            }
        }

        foreach (var header in context.Request.Headers)
        {
            if (!Hop.IsHopByHop(header.Key) && !header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)
                && !header.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
            }
        }

        request.Headers.Remove(MeshWire.DestinationPortHeader);
        request.Headers.Remove(MeshWire.SourceWorkloadHeader);
        return request;
    }

    /// <summary>The copy to one address of the XBackend's name as the sidecar resolves it, within the mirror's time limit.</summary>
    private async Task SendExternalAsync(HttpRequestMessage request, PathString path, QueryString query, BackendPolicy backend, ExternalBackendPolicy external)
    {
        EndpointPolicy endpoint;
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var endpoints = await externals.EndpointsAsync(external, timeout.Token);
            endpoint = endpoints[balancer.Pick(endpoints, Random.Shared)];
        }
        catch (Exception ex) when (ex is External.ExternalResolutionException or OperationCanceledException)
        {
            ProxyLog.MirrorFailed(logger, backend.Namespace, backend.Name, ex.Message);
            request.Dispose();
            return;
        }

        var (prefix, invoker) = client.RouteExternal(endpoint, external);
        request.RequestUri = RequestUtilities.MakeDestinationAddress(prefix, path, query);
        await SendAsync(invoker, request, backend, balancer.LoadOf(endpoint));
    }

    private async Task SendAsync(HttpMessageInvoker invoker, HttpRequestMessage request, BackendPolicy backend, EndpointLoad load)
    {
        using var lease = load.Begin();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            using var response = await invoker.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            ProxyLog.MirrorFailed(logger, backend.Namespace, backend.Name, ex.Message);
        }
        finally
        {
            request.Dispose();
        }
    }
}
