using Microsoft.AspNetCore.Http;
using Weft.Routing;
using Weft.Routing.Filters;
using Weft.Routing.Policy;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// How one request leaves the proxy. YARP's default transform copies headers (dropping the hop-by-hop ones, <see cref="Hop"/>) and takes the path
/// from the request, but sends the destination authority as Host; a mesh keeps the app's Host (the backend must see
/// <c>Host: echo</c>), so it is copied back here unless a URLRewrite hostname replaced it (gamma-spec G7).
/// </summary>
internal sealed class MeshTransformer : HttpTransformer
{
    /// <summary>The Host sent upstream; null keeps the request's.</summary>
    public string? Host { get; init; }

    /// <summary>The path sent upstream; null keeps the request's.</summary>
    public string? Path { get; init; }

    /// <summary>The endpoint's target port, sent to its sidecar as <see cref="MeshWire.DestinationPortHeader"/>; null sends none.</summary>
    public int? DestinationPort { get; init; }

    /// <summary>This sidecar's workload, sent to the endpoint's sidecar as <see cref="MeshWire.SourceWorkloadHeader"/>; null sends none.</summary>
    public string? SourceWorkload { get; init; }

    /// <summary>ResponseHeaderModifier filters, in list order.</summary>
    public IReadOnlyList<HeaderModifierPolicy>? ResponseModifiers { get; init; }

    /// <summary>Headers added to the backend's response after the filters (CORS, <c>CorsPreflight.ForResponse</c>; a session's Set-Cookie is appended).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? ExtraResponseHeaders { get; init; }

    /// <summary>The <c>grpc-timeout</c> sent upstream (what is left of the call's deadline); null leaves the request's.</summary>
    public string? GrpcTimeout { get; init; }

    /// <summary>
    /// Asked once a response head arrives: true discards it (nothing reaches the client, the body is not copied) because
    /// a retry will follow. YARP's forwarder has set the status by then; the caller resets the response before retrying.
    /// </summary>
    public Func<HttpResponseMessage, bool>? Discard { get; init; }

    /// <summary>
    /// The attempt's timer. A request timeout bounds the exchange up to the upgrade; once the backend answers
    /// 101 Switching Protocols (WebSocket), the tunnel lives as long as both ends keep it, so the timer is disarmed.
    /// </summary>
    public CancellationTokenSource? AttemptTimer { get; init; }

    /// <summary>Whether <see cref="Discard"/> discarded the response of this attempt.</summary>
    public bool Discarded { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (Path is not null)
        {
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, new PathString(Path), httpContext.Request.QueryString);
        }

        var host = Host ?? httpContext.Request.Headers.Host.ToString();
        proxyRequest.Headers.Host = string.IsNullOrEmpty(host) ? null : host;
        proxyRequest.Headers.Remove(MeshWire.DestinationPortHeader);
        proxyRequest.Headers.Remove(MeshWire.SourceWorkloadHeader);
        if (DestinationPort is int port)
        {
            proxyRequest.Headers.TryAddWithoutValidation(MeshWire.DestinationPortHeader, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (SourceWorkload is not null)
            {
                proxyRequest.Headers.TryAddWithoutValidation(MeshWire.SourceWorkloadHeader, SourceWorkload);
            }
        }

        if (GrpcTimeout is not null)
        {
            proxyRequest.Headers.Remove(Grpc.GrpcCall.TimeoutHeader);
            proxyRequest.Headers.TryAddWithoutValidation(Grpc.GrpcCall.TimeoutHeader, GrpcTimeout);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && Discard is { } discard && discard(proxyResponse))
        {
            Discarded = true;
            return false;
        }

        if (proxyResponse?.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
        {
            AttemptTimer?.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is not null && ResponseModifiers is { Count: > 0 } modifiers)
        {
            var editor = new HeaderDictionaryAccess(httpContext.Response.Headers);
            foreach (var modifier in modifiers)
            {
                HeaderModification.Apply(modifier, editor);
            }
        }

        if (proxyResponse is not null && ExtraResponseHeaders is { Count: > 0 } extra)
        {
            foreach (var (name, value) in extra)
            {
                // A cookie of Weft's (session persistence) goes beside the backend's own, never in place of them.
                if (string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    httpContext.Response.Headers.Append(name, value);
                }
                else
                {
                    httpContext.Response.Headers[name] = value;
                }
            }
        }

        return copyBody;
    }
}
