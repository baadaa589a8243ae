namespace Weft.Routing;

/// <summary>
/// The Gateway API conformance features Weft claims (gamma-spec (c); upstream <c>pkg/features</c> names): what the
/// conformance runners run, what the conformance report counts as supported, and what the controller writes to an
/// accepted XMesh's <c>status.supportedFeatures</c>. One list, so the three agree; each name is claimed only where Weft
/// implements it, and <see cref="NotClaimed"/> says why the others are not.
/// </summary>
public static class MeshFeatures
{
    /// <summary>The nine Mesh extended features of the MESH-HTTP and MESH-GRPC profiles.</summary>
    public static readonly IReadOnlyList<string> MeshExtended =
    [
        "MeshClusterIPMatching",
        "MeshConsumerRoute",
        "MeshHTTPRouteRewritePath",
        "MeshHTTPRouteSchemeRedirect",
        "MeshHTTPRouteRedirectPort",
        "MeshHTTPRouteRedirectPath",
        "MeshHTTPRouteBackendRequestHeaderModification",
        "MeshHTTPRouteQueryParamMatching",
        "MeshHTTPRouteNamedRouteRule",
    ];

    /// <summary>
    /// The HTTPRoute extended features Weft implements for mesh traffic, each with where it lives: matching in
    /// <c>HttpRuleMatcher</c>, filters in <c>RequestPlanner.ApplyFilters</c> (rule level, then backend level, G5),
    /// timeouts and retries in the proxy's <c>ResilientForwarder</c> (GEP-1742, GEP-1731), mirrors in
    /// <c>RequestMirror</c>/<c>MirrorSampler</c>, CORS in <c>CorsPreflight</c>, backend protocols in <c>ForwardingClient</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> HttpRouteExtended =
    [
        "HTTPRouteMethodMatching",
        "HTTPRouteQueryParamMatching",
        "HTTPRouteResponseHeaderModification",
        "HTTPRouteBackendRequestHeaderModification",
        "HTTPRoutePathRedirect",
        "HTTPRoutePortRedirect",
        "HTTPRouteSchemeRedirect",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
        "HTTPRouteHostRewrite",
        "HTTPRoutePathRewrite",
        "HTTPRouteRequestMirror",
        "HTTPRouteRequestMultipleMirrors",
        "HTTPRouteRequestPercentageMirror",
        "HTTPRouteRequestTimeout",
        "HTTPRouteBackendTimeout",
        "HTTPRouteRetry",
        "HTTPRouteRetryBackendTimeout",
        "HTTPRouteRetryConnectionError",
        "HTTPRouteParentRefPort",
        "HTTPRouteNamedRouteRule",
        "HTTPRouteCORS",
        "HTTPRouteBackendProtocolH2C",
        "HTTPRouteBackendProtocolWebSocket",

        // Feature names of upstream main (after v1.6.1) for what Weft already does: URLRewrite and RequestRedirect in
        // backendRefs[].filters (G5, applied when that backend is picked).
        "HTTPRouteBackendURLRewrite",
        "HTTPRouteBackendRequestRedirect",
    ];

    /// <summary>
    /// The GRPCRoute extended features Weft implements: rule names (metrics, status, <c>weft explain</c>) and, upstream
    /// main's name, the RequestHeaderModifier filter on gRPC metadata (<c>RequestPlanner.PlanGrpc</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> GrpcRouteExtended =
    [
        "GRPCRouteNamedRouteRule",
        "GRPCRouteRequestHeaderModifier",
    ];

    /// <summary>
    /// Everything Weft claims: the core features of the routes it serves (Mesh, HTTPRoute, GRPCRoute; TCPRoute and
    /// TLSRoute, K2/K3, planned by <c>ConnectionPlanner</c>) and the extended ones above.
    /// </summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(
    [
        "Mesh",
        "HTTPRoute",
        "GRPCRoute",
        "TCPRoute",
        "TLSRoute",
        .. MeshExtended,
        .. HttpRouteExtended,
        .. GrpcRouteExtended,
    ], StringComparer.Ordinal);

    /// <summary>Upstream feature names Weft does not claim, each with why: a test needing one is skipped, and says so.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotClaimed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Gateway"] = "Weft is a mesh, not a Gateway implementation: it programs no Gateways or listeners",
        ["ReferenceGrant"] = "mesh routes need no ReferenceGrant (gamma-spec F6), and Weft does not enforce grants",
        ["HTTPRouteDestinationPortMatching"] = "matches a parentRef port against a Gateway listener's; a mesh route's port is HTTPRouteParentRefPort, which is claimed",
        ["HTTPRouteRetryBackoff"] = "a GEP-1731 name that is not an upstream feature name (pkg/features); the backoff is implemented as part of HTTPRouteRetry",
        ["HTTPRouteRetryCodes"] = "a GEP-1731 name that is not an upstream feature name (pkg/features); the codes are implemented as part of HTTPRouteRetry",
        ["TLSRouteModeTerminate"] = "Weft passes TLSRoute traffic through; it does not terminate TLS for a route",
        ["TLSRouteModeMixed"] = "Weft passes TLSRoute traffic through; it does not terminate TLS for a route",
        ["UDPRoute"] = "the proxy carries TCP only",
        ["BackendTLSPolicy"] = "applied to mesh Services' backends, with its status (docs/egress.md), but upstream's BackendTLSPolicy tests run through a Gateway, which Weft is not",
        ["BackendTLSPolicySANValidation"] = "subjectAltNames are checked (docs/egress.md), but upstream's tests for it run through a Gateway, which Weft is not",
        ["CookieSessionPersistence"] = "an HTTPRoute rule's sessionPersistence (GEP-1619) is not implemented; an XBackendTrafficPolicy's is (docs/egress.md), for which upstream has no feature name at v1.6.1",
        ["CookieSessionPersistencePermanentLifetime"] = "an HTTPRoute rule's sessionPersistence (GEP-1619) is not implemented; an XBackendTrafficPolicy's is, Permanent cookies included (docs/egress.md)",
        ["Backend"] = "no upstream feature name at v1.6.1 (its pkg/features has no backend.go); XBackend ExternalHostname backends are implemented (docs/egress.md) and will be claimed under the names upstream gives them",
    };
}
