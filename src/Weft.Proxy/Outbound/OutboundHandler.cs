using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Routing.Filters;
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

        var policy = table.Policy;
        if (policy.Rules.Count == 0)
        {
            // gamma-spec C1: no route, plain forwarding to the Service's own endpoints (or to the one pod addressed).
            if (policy.DefaultBackend is not { } fallback)
            {
                ProxyLog.NoDefaultBackend(logger, host, port);
                await RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"no backend for {host}:{port}");
                return;
            }

            await ForwardToBackendAsync(context, new ForwardPlan(context.Request.Path.Value ?? "/"), fallback, port);
            return;
        }

        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var query = request.QueryString.HasValue ? request.QueryString.Value![1..] : null;
        var index = table.Match(request.Method, path, query, new RequestHeaderLookup(request.Headers));
        if (index < 0)
        {
            // gamma-spec C2: attached routes replace the default; no matching rule is a 404.
            await RespondAsync(context, StatusCodes.Status404NotFound, $"no route rule of {policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port} matches");
            return;
        }

        var rule = policy.Rules[index];
        var plan = new ForwardPlan(path);
        if (ApplyFilters(context, rule.Filters, plan, port))
        {
            return;
        }

        // gamma-spec F2/F3: weighted pick; a rule with no (usable) backendRefs and no redirect is a 500.
        var picked = rule.Backends.Count == 0 ? -1 : WeightedPicker.Pick(rule.Backends, Random.Shared.NextDouble());
        if (picked < 0)
        {
            await RespondAsync(context, StatusCodes.Status500InternalServerError, "route rule has no backends");
            return;
        }

        var backend = rule.Backends[picked];
        if (ApplyFilters(context, backend.Filters, plan, port))
        {
            return; // gamma-spec G5: backend-level filters run only for the picked backend
        }

        await ForwardToBackendAsync(context, plan, backend, port);
    }

    /// <summary>Applies filters in list order (gamma-spec G3). True when a filter (RequestRedirect) has produced the response.</summary>
    private static bool ApplyFilters(HttpContext context, IReadOnlyList<FilterPolicy> filters, ForwardPlan plan, int servicePort)
    {
        foreach (var filter in filters)
        {
            switch (filter.Kind)
            {
                case FilterKind.RequestHeaderModifier when filter.Headers is not null:
                    HeaderModification.Apply(filter.Headers, new HeaderDictionaryEditor(context.Request.Headers));
                    break;
                case FilterKind.ResponseHeaderModifier when filter.Headers is not null:
                    (plan.ResponseModifiers ??= []).Add(filter.Headers);
                    break;
                case FilterKind.RequestRedirect when filter.Redirect is not null:
                    var query = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : null;
                    var (status, location) = RedirectLocation.Build(filter.Redirect, "http", context.Request.Headers.Host.ToString(), servicePort, plan.Path, query);
                    context.Response.StatusCode = status;
                    context.Response.Headers.Location = location;
                    context.Response.ContentLength = 0;
                    return true;
                case FilterKind.UrlRewrite when filter.Rewrite is not null:
                    if (filter.Rewrite.Path is not null)
                    {
                        plan.Path = PathRewrite.Apply(filter.Rewrite.Path, plan.Path);
                        plan.PathRewritten = true;
                    }

                    if (filter.Rewrite.Hostname is not null)
                    {
                        plan.Host = filter.Rewrite.Hostname;
                    }

                    break;
                case FilterKind.RequestMirror when filter.Mirror is not null:
                    (plan.Mirrors ??= []).Add(filter.Mirror);
                    break;
                default:
                    break; // CORS and unknown kinds: respond normally for now
            }
        }

        return false;
    }

    private async Task ForwardToBackendAsync(HttpContext context, ForwardPlan plan, BackendPolicy backend, int servicePort)
    {
        if (backend.Invalid is not null)
        {
            // gamma-spec F4: the share of traffic meant for an invalid backend gets 500.
            await RespondAsync(context, StatusCodes.Status500InternalServerError, $"backend {backend.Namespace}/{backend.Name}:{backend.Port} is invalid: {backend.Invalid}");
            return;
        }

        if (backend.Endpoints.Count == 0)
        {
            await RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"backend {backend.Namespace}/{backend.Name}:{backend.Port} has no ready endpoints");
            return;
        }

        var inboundPort = peerInboundPort();
        foreach (var mirrored in plan.Mirrors ?? [])
        {
            mirror.Send(context, mirrored, plan.Path, plan.Host, inboundPort);
        }

        var endpoint = backend.Endpoints[balancer.Pick(backend.Endpoints, Random.Shared)];
        var transformer = new MeshTransformer
        {
            Host = plan.Host,
            Path = plan.PathRewritten ? plan.Path : null,
            DestinationPort = endpoint.Port,
            ResponseModifiers = plan.ResponseModifiers,
        };

        using var lease = balancer.LoadOf(endpoint).Begin();
        var prefix = "http://" + Authority.Format(endpoint.Address, inboundPort);
        var error = await forwarder.SendAsync(context, prefix, client.Invoker, client.RequestConfig, transformer);
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

        var error = await forwarder.SendAsync(context, "http://" + Authority.Format(host, port), client.Invoker, client.RequestConfig, new MeshTransformer());
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

    /// <summary>What the filters decided for one request.</summary>
    private sealed class ForwardPlan(string path)
    {
        public string Path { get; set; } = path;

        public bool PathRewritten { get; set; }

        public string? Host { get; set; }

        public List<HeaderModifierPolicy>? ResponseModifiers { get; set; }

        public List<MirrorPolicy>? Mirrors { get; set; }
    }
}
