using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>What the store holds at one version: the objects <see cref="MeshModel.Build"/> reads.</summary>
public sealed record MeshSnapshot
{
    public IReadOnlyList<Service> Services { get; init; } = [];
    public IReadOnlyList<EndpointSlice> EndpointSlices { get; init; } = [];

    /// <summary>HTTPRoute, GRPCRoute, TCPRoute and TLSRoute objects, in any order.</summary>
    public IReadOnlyList<Route> Routes { get; init; } = [];

    /// <summary>
    /// Not consulted for Service backends of Service parents: mesh backendRefs need no grant (gamma-spec F6). An XBackend
    /// in another namespace needs one: it reaches beyond what the client could already reach (F6's second clause).
    /// </summary>
    public IReadOnlyList<ReferenceGrant> ReferenceGrants { get; init; } = [];
    public IReadOnlyList<Namespace> Namespaces { get; init; } = [];
    public IReadOnlyList<Pod> Pods { get; init; } = [];
    public IReadOnlyList<ServiceAccount> ServiceAccounts { get; init; } = [];

    /// <summary>External backends (gateway.networking.x-k8s.io XBackend) that routes' backendRefs may name.</summary>
    public IReadOnlyList<XBackend> XBackends { get; init; } = [];

    /// <summary>ConfigMaps: only their <c>ca.crt</c> is read, for the CA bundles XBackend TLS validation names.</summary>
    public IReadOnlyList<ConfigMap> ConfigMaps { get; init; } = [];

    /// <summary>BackendTLSPolicies: TLS from the client's proxy to the endpoints of the Service ports they target.</summary>
    public IReadOnlyList<BackendTlsPolicy> BackendTlsPolicies { get; init; } = [];

    /// <summary>XBackendTrafficPolicies: the retry budget of the Services and XBackends they target.</summary>
    public IReadOnlyList<XBackendTrafficPolicy> BackendTrafficPolicies { get; init; } = [];

    /// <summary>Weft's AuthorizationPolicy objects (policy.weft.dev), compiled into each workload's inbound policy.</summary>
    public IReadOnlyList<AuthorizationPolicy> AuthorizationPolicies { get; init; } = [];

    /// <summary>Sorts loaded objects into the lists the GAMMA rules read; other kinds are ignored.</summary>
    public static MeshSnapshot From(IEnumerable<KubeObject> objects)
    {
        var all = objects as IReadOnlyCollection<KubeObject> ?? [.. objects];
        return new MeshSnapshot
        {
            Services = [.. all.OfType<Service>()],
            EndpointSlices = [.. all.OfType<EndpointSlice>()],
            Routes = [.. all.OfType<Route>()],
            ReferenceGrants = [.. all.OfType<ReferenceGrant>()],
            Namespaces = [.. all.OfType<Namespace>()],
            Pods = [.. all.OfType<Pod>()],
            ServiceAccounts = [.. all.OfType<ServiceAccount>()],
            AuthorizationPolicies = [.. all.OfType<AuthorizationPolicy>()],
            XBackends = [.. all.OfType<XBackend>()],
            ConfigMaps = [.. all.OfType<ConfigMap>()],
            BackendTlsPolicies = [.. all.OfType<BackendTlsPolicy>()],
            BackendTrafficPolicies = [.. all.OfType<XBackendTrafficPolicy>()],
        };
    }
}
