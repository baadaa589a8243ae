using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The outbound data path, per request: original destination → policy → rule match → filters → backend → endpoint →
/// the endpoint's sidecar (inbound port, <c>weft-dst-port</c>).
/// </summary>
internal sealed class OutboundHandler(
    IDestinationSource destinations,
    IHttpForwarder forwarder,
    ForwardingClient client,
    PowerOfTwoChoices balancer,
    RequestMirror mirror,
    Func<int> peerInboundPort,
    Func<IPAddress, int, bool> isSelf,
    ILogger logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!TryGetDestination(context, out var host, out var port))
        {
            ProxyLog.NoDestination(logger, context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget, context.Connection.RemoteIpAddress?.ToString());
            await RespondAsync(context, StatusCodes.Status400BadRequest, "no destination: send an absolute-form http:// request or CONNECT host:port first");
            return;
        }

        RouteTable? table;
        try
        {
            table = await destinations.GetAsync(host, port, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            ProxyLog.DiscoveryFailed(logger, host, port, ex.Message);
            await RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"no policy for {host}:{port}: {ex.Message}");
            return;
        }

        if (table is null)
        {
            await ForwardOutsideMeshAsync(context, host, port);
            return;
        }

        var request = context.Request;
        var query = request.QueryString.HasValue ? request.QueryString.Value![1..] : null;
        var plan = RequestPlanner.Plan(table, request.Method, request.Path.Value ?? "/", query,
            new HeaderDictionaryAccess(request.Headers), port, Random.Shared.NextDouble());
        if (plan.Respond)
        {
            if (plan.Location is not null)
            {
                context.Response.StatusCode = plan.Status;
                context.Response.Headers.Location = plan.Location;
                context.Response.ContentLength = 0;
                return;
            }

            await RespondAsync(context, plan.Status, plan.Message ?? "");
            return;
        }

        await ForwardToBackendAsync(context, plan, plan.Backend!);
    }

    private async Task ForwardToBackendAsync(HttpContext context, RequestPlan plan, BackendPolicy backend)
    {
        var inboundPort = peerInboundPort();
        foreach (var mirrored in plan.Mirrors)
        {
            mirror.Send(context, mirrored, plan.Path, plan.Host, inboundPort);
        }

        var endpoint = backend.Endpoints[balancer.Pick(backend.Endpoints, Random.Shared)];
        var (prefix, invoker, viaSidecar) = client.Route(endpoint, inboundPort);
        var transformer = new MeshTransformer
        {
            Host = plan.Host,
            Path = plan.PathRewritten ? plan.Path : null,
            DestinationPort = viaSidecar ? endpoint.Port : null,
            ResponseModifiers = plan.ResponseModifiers,
        };

        using var lease = balancer.LoadOf(endpoint).Begin();
        var error = await forwarder.SendAsync(context, prefix, invoker, client.ConfigFor(context), transformer);
        if (error != ForwarderError.None)
        {
            ProxyLog.ForwardFailed(logger, error.ToString(), endpoint.Address, endpoint.Port, backend.Namespace, backend.Name,
                context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
        }
    }

    /// <summary>
    /// Not a mesh destination: loopback literals are forwarded untouched (local processes outside the mesh); anything else
    /// is refused, so that no traffic leaves 127.0.0.0/8.
    /// </summary>
    private async Task ForwardOutsideMeshAsync(HttpContext context, string host, int port)
    {
        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetwork || !IPAddress.IsLoopback(address)
            || isSelf(address, port))
        {
            ProxyLog.NotInMesh(logger, host, port);
            await RespondAsync(context, StatusCodes.Status502BadGateway, $"{host}:{port} is not a mesh destination");
            return;
        }

        var error = await forwarder.SendAsync(context, "http://" + Authority.Format(host, port), client.Invoker, client.ConfigFor(context), new MeshTransformer());
        if (error != ForwarderError.None)
        {
            ProxyLog.ForwardFailed(logger, error.ToString(), host, port, "", "(outside the mesh)", context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
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
