namespace Weft.Routing;

/// <summary>
/// The Gateway API conformance features Weft claims (gamma-spec (c)): what the conformance report lists as supported
/// and what the controller writes to an accepted XMesh's <c>status.supportedFeatures</c>. One list, so the two agree.
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
    /// Mesh, HTTPRoute, GRPCRoute (their tests are run or explicitly skipped, so they are counted), all nine Mesh extended
    /// features, and the HTTPRoute features the mesh tests use.
    /// </summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(
    [
        "Mesh",
        "HTTPRoute",
        "GRPCRoute",
        .. MeshExtended,
        "HTTPRouteResponseHeaderModification",
        "HTTPRouteParentRefPort",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
    ], StringComparer.Ordinal);
}
