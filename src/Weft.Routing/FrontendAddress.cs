namespace Weft.Routing;

/// <summary>How a destination host was recognised (gamma-spec A7, A8, A10).</summary>
public enum FrontendAddress
{
    /// <summary>A Service's ClusterIP: the frontend, routes apply.</summary>
    ClusterIP,

    /// <summary>A Service DNS name (svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local): the frontend, routes apply.</summary>
    Name,

    /// <summary>A pod IP: the backend facet, routes do not apply (A7).</summary>
    PodIP,
}
