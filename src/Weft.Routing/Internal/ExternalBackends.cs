using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// A route's backendRef to an <c>XBackend</c> (Gateway API v1.6.1 experimental, issue 17): the external host, the protocol
/// the proxy speaks to it, and the TLS it originates, or why the reference cannot be used (gamma-spec F4's reasons).
/// </summary>
internal static class ExternalBackends
{
    public static bool IsRef(string? group, string? kind) => group == GatewayApi.ExperimentalGroup && kind == XBackend.KindName;

    /// <summary>
    /// What a reference from <paramref name="route"/> (of type <paramref name="type"/>) to XBackend
    /// <paramref name="ns"/>/<paramref name="name"/> resolves to: the external backend and the protocol the proxy speaks
    /// to it, or a reason and a message saying what is wrong and how to fix it.
    /// </summary>
    public static Resolution Resolve(MeshIndex index, Route route, RouteType type, string ns, string name)
    {
        var key = $"{ns}/{name}";

        // F6's second clause: an external backend reaches beyond what the client could already reach, so a reference
        // into another namespace needs that namespace's ReferenceGrant (F7).
        if (ns != route.Namespace && !index.Granted(GatewayApi.Group, route.Kind, route.Namespace, GatewayApi.ExperimentalGroup, XBackend.KindName, ns, name))
        {
            return Resolution.Fail(RouteConditions.RefNotPermitted,
                $"XBackend {key} is in another namespace and no ReferenceGrant in {ns} lets {route.Kind}s of {route.Namespace} refer to it; "
                + $"add one (from {{group: {GatewayApi.Group}, kind: {route.Kind}, namespace: {route.Namespace}}} to {{group: {GatewayApi.ExperimentalGroup}, kind: XBackend}}) or move the XBackend.");
        }

        if (index.XBackend(ns, name) is not { } backend)
        {
            return Resolution.Fail(RouteConditions.BackendNotFound, $"XBackend {key} not found; create it or fix backendRef name/namespace.");
        }

        // What the route's kind refuses first (F5, TLS under a TLSRoute), then what the XBackend itself cannot have.
        var (app, protocolProblem) = Protocol(backend.Spec.Protocol, type);
        if (protocolProblem is not null)
        {
            return Resolution.Fail(RouteConditions.UnsupportedProtocol, $"XBackend {key} has protocol {backend.Spec.Protocol}: {protocolProblem}", backend);
        }

        if (type == RouteType.Tls && backend.Spec.Tls is { Mode: not XBackendTlsMode.None } settings)
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue,
                $"XBackend {key} originates TLS (tls.mode {settings.Mode}), but a TLSRoute passes the client's own TLS through; set tls.mode None or leave tls unset.", backend);
        }

        var own = Own(index, backend);
        return own.Reason is null ? own with { AppProtocol = app } : own;
    }

    /// <summary>
    /// What an XBackend itself asks for, whichever route refers to it: the external backend, or why Weft cannot honour
    /// it (<c>UnsupportedValue</c>, or the CA bundle's reason). Its own status (<c>status.parents[]</c>) reads this.
    /// </summary>
    public static Resolution Own(MeshIndex index, XBackend backend)
    {
        var key = backend.Key;
        if (backend.Spec is not { Type: XBackendType.ExternalHostname, ExternalHostname: { } hostname })
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue, $"XBackend {key} has type \"{backend.Spec.Type}\"; Weft routes to type ExternalHostname.", backend);
        }

        // The CRD's words forbid an IP address, but no rule of it checks; a route may not use one as a host name.
        if (System.Net.IPAddress.TryParse(hostname, out _))
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue,
                $"XBackend {key} names the IP address {hostname} as externalHostname.hostname, which the XBackend API forbids; name the host by its DNS name.", backend);
        }

        // A route of any kind refuses MCP as UnsupportedProtocol (F5, before this); the XBackend's own word is UnsupportedValue.
        if (backend.Spec.Protocol == XBackendProtocol.Mcp)
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue, $"XBackend {key} has protocol MCP; {McpRefusal}", backend);
        }

        var source = $"XBackend {key}";
        TlsOriginationPolicy? tls = null;
        if (backend.Spec.Tls is { Mode: not XBackendTlsMode.None } settings)
        {
            if (backend.Spec.Protocol == XBackendProtocol.H2c)
            {
                return Resolution.Fail(RouteConditions.UnsupportedValue,
                    $"XBackend {key} has protocol H2C (HTTP/2 without TLS) and tls.mode {settings.Mode}; use protocol HTTP2 for HTTP/2 over TLS, or set tls.mode None.", backend);
            }

            if (settings.Mode == XBackendTlsMode.ClientAndServer)
            {
                return Resolution.Fail(RouteConditions.UnsupportedValue,
                    $"XBackend {key} asks for tls.mode ClientAndServer; Weft does not yet present client certificates to external backends (it does not read Secrets); use ServerOnly.", backend);
            }

            var origination = settings.Validation is { } validation
                ? index.Tls(backend, validation)
                : TlsOriginationResult.Usable(TlsOrigination.SystemRoots(hostname, source));
            if (origination.Policy is null)
            {
                return Resolution.Fail(origination.Reason!, $"XBackend {key}: {origination.Message}", backend);
            }

            tls = origination.Policy;
        }

        return new(new ExternalBackendPolicy { Hostname = hostname, Port = backend.Spec.Port.Port, Source = source, Tls = tls }, BackendAppProtocol.Http, null, null, backend);
    }

    private const string McpRefusal = "Weft does not speak MCP to backends.";

    /// <summary>F5 for an XBackend: its <c>protocol</c> against the route's kind (unset: what the route implies).</summary>
    private static (string Backend, string? Problem) Protocol(string? protocol, RouteType type)
    {
        if (protocol == XBackendProtocol.Mcp)
        {
            return (BackendAppProtocol.Http, McpRefusal);
        }

        return type switch
        {
            RouteType.Tcp or RouteType.Tls => protocol is null or XBackendProtocol.Tcp
                ? (BackendAppProtocol.Tcp, null)
                : (BackendAppProtocol.Tcp, $"a {type}Route relays bytes; give the XBackend protocol TCP or none."),
            RouteType.Grpc => protocol switch
            {
                null or XBackendProtocol.Http2 or XBackendProtocol.H2c => (BackendAppProtocol.Http2, null),
                XBackendProtocol.Tcp => (BackendAppProtocol.Http2, "a GRPCRoute's calls need HTTP/2; use protocol HTTP2, H2C or none."),
                _ => (BackendAppProtocol.Http2, "gRPC needs HTTP/2; use protocol HTTP2, H2C or none."),
            },
            _ => protocol switch
            {
                null or XBackendProtocol.Http or XBackendProtocol.Http11 => (BackendAppProtocol.Http, null),
                XBackendProtocol.Http2 or XBackendProtocol.H2c => (BackendAppProtocol.Http2, null),
                _ => (BackendAppProtocol.Http, "an HTTPRoute's requests need an HTTP protocol; use HTTP, HTTP11, HTTP2, H2C or none."),
            },
        };
    }

    /// <summary>
    /// An external backend and the protocol to speak to it, or (<see cref="Reason"/> set) why the reference fails;
    /// <see cref="Backend"/> is the XBackend referred to once it is found and the reference permitted.
    /// </summary>
    internal readonly record struct Resolution(ExternalBackendPolicy? External, string AppProtocol, string? Reason, string? Message, XBackend? Backend)
    {
        public static Resolution Fail(string reason, string message, XBackend? backend = null) => new(null, BackendAppProtocol.Http, reason, message, backend);
    }
}
