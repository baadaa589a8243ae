using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// What a Service port's <c>appProtocol</c> says (gamma-spec F5; Kubernetes' <c>kubernetes.io/h2c</c>, <c>ws</c>, <c>wss</c>),
/// read once for the two places it decides: a port without routes (C1) and a route's backend (F5).
/// </summary>
internal static class ServiceAppProtocol
{
    private enum Kind
    {
        /// <summary>None, or a value Weft does not know.</summary>
        Unknown,
        Http1,
        H2c,
        Grpc,
        Tls,
    }

    private static Kind Read(string? appProtocol) => appProtocol?.ToLowerInvariant() switch
    {
        "http" or "kubernetes.io/ws" => Kind.Http1,
        "http2" or "h2c" or "kubernetes.io/h2c" => Kind.H2c,
        "grpc" => Kind.Grpc,
        "https" or "kubernetes.io/wss" or "tls" => Kind.Tls,
        _ => Kind.Unknown,
    };

    /// <summary>
    /// C1/C3 and A7: without routes the port's appProtocol decides how the proxy treats its traffic
    /// (<see cref="PolicyProtocol"/>) and talks to its endpoints; TLS, none or unknown is opaque TCP.
    /// </summary>
    public static (string Protocol, string Backend) WithoutRoutes(string? appProtocol) => Read(appProtocol) switch
    {
        Kind.Http1 => (PolicyProtocol.Http, BackendAppProtocol.Http),
        Kind.H2c => (PolicyProtocol.Http, BackendAppProtocol.Http2),
        Kind.Grpc => (PolicyProtocol.Grpc, BackendAppProtocol.Http2),
        _ => (PolicyProtocol.Opaque, BackendAppProtocol.Tcp),
    };

    /// <summary>
    /// F5: how to talk to a backend port of a route of type <paramref name="route"/>; or why it cannot be done. A TLS port
    /// takes HTTP only when the proxy <paramref name="originatesTls"/> to it (a BackendTLSPolicy targets it).
    /// </summary>
    public static (string Backend, string? Problem) ForRoute(string? appProtocol, RouteType route, bool originatesTls = false)
    {
        if (route is RouteType.Tcp or RouteType.Tls)
        {
            return (BackendAppProtocol.Tcp, null);
        }

        var grpc = route == RouteType.Grpc;
        return Read(appProtocol) switch
        {
            Kind.Http1 => grpc
                ? (BackendAppProtocol.Http, "gRPC needs HTTP/2 but the port declares HTTP/1.1; set appProtocol to kubernetes.io/h2c or grpc.")
                : (BackendAppProtocol.Http, null),
            Kind.H2c or Kind.Grpc => (BackendAppProtocol.Http2, null),
            Kind.Tls when originatesTls => (grpc ? BackendAppProtocol.Http2 : BackendAppProtocol.Http, null),
            Kind.Tls => (BackendAppProtocol.Http,
                "the port speaks TLS and no BackendTLSPolicy asks the proxy to originate it; add one (docs/egress.md), serve plain HTTP on this port, or use a TLSRoute/TCPRoute."),

            // No (or an unknown) appProtocol: infer from the route type (F5 allows it).
            _ => (grpc ? BackendAppProtocol.Http2 : BackendAppProtocol.Http, null),
        };
    }
}
