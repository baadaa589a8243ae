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

    /// <summary>Sorts loaded objects into the lists the GAMMA rules read, in their order; other kinds are ignored.</summary>
    /// <remarks>One pass: at 50,000 Services a cluster is 150,000 objects and more, sorted again when one is added.</remarks>
    public static MeshSnapshot From(IEnumerable<KubeObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        List<Service> services = [];
        List<EndpointSlice> slices = [];
        List<Route> routes = [];
        List<ReferenceGrant> grants = [];
        List<Namespace> namespaces = [];
        List<Pod> pods = [];
        List<ServiceAccount> accounts = [];
        List<AuthorizationPolicy> authorization = [];
        List<XBackend> backends = [];
        List<ConfigMap> configMaps = [];
        List<BackendTlsPolicy> tls = [];
        List<XBackendTrafficPolicy> traffic = [];
        foreach (var obj in objects)
        {
            switch (obj)
            {
                case Service o: services.Add(o); break;
                case EndpointSlice o: slices.Add(o); break;
                case Route o: routes.Add(o); break;
                case ReferenceGrant o: grants.Add(o); break;
                case Namespace o: namespaces.Add(o); break;
                case Pod o: pods.Add(o); break;
                case ServiceAccount o: accounts.Add(o); break;
                case AuthorizationPolicy o: authorization.Add(o); break;
                case XBackend o: backends.Add(o); break;
                case ConfigMap o: configMaps.Add(o); break;
                case BackendTlsPolicy o: tls.Add(o); break;
                case XBackendTrafficPolicy o: traffic.Add(o); break;
                default: break;
            }
        }

        return new MeshSnapshot
        {
            Services = [.. services],
            EndpointSlices = [.. slices],
            Routes = [.. routes],
            ReferenceGrants = [.. grants],
            Namespaces = [.. namespaces],
            Pods = [.. pods],
            ServiceAccounts = [.. accounts],
            AuthorizationPolicies = [.. authorization],
            XBackends = [.. backends],
            ConfigMaps = [.. configMaps],
            BackendTlsPolicies = [.. tls],
            BackendTrafficPolicies = [.. traffic],
        };
    }

    /// <summary>
    /// This snapshot with objects swapped for others (an object's newer version), each in its place. The lists without a
    /// swapped object stay the same instances, so that <see cref="MeshModel.Update"/> sees at once what did not change.
    /// </summary>
    /// <exception cref="InvalidOperationException">An old object is not in this snapshot.</exception>
    public MeshSnapshot Replacing(IReadOnlyList<(KubeObject Old, KubeObject New)> swaps)
    {
        ArgumentNullException.ThrowIfNull(swaps);
        var mesh = this;
        foreach (var (old, swapped) in swaps)
        {
            // The kinds of From, one list each.
            mesh = (old, swapped) switch
            {
                (Service o, Service n) => mesh with { Services = Swap(mesh.Services, o, n) },
                (EndpointSlice o, EndpointSlice n) => mesh with { EndpointSlices = Swap(mesh.EndpointSlices, o, n) },
                (Route o, Route n) => mesh with { Routes = Swap(mesh.Routes, o, n) },
                (ReferenceGrant o, ReferenceGrant n) => mesh with { ReferenceGrants = Swap(mesh.ReferenceGrants, o, n) },
                (Namespace o, Namespace n) => mesh with { Namespaces = Swap(mesh.Namespaces, o, n) },
                (Pod o, Pod n) => mesh with { Pods = Swap(mesh.Pods, o, n) },
                (ServiceAccount o, ServiceAccount n) => mesh with { ServiceAccounts = Swap(mesh.ServiceAccounts, o, n) },
                (AuthorizationPolicy o, AuthorizationPolicy n) => mesh with { AuthorizationPolicies = Swap(mesh.AuthorizationPolicies, o, n) },
                (XBackend o, XBackend n) => mesh with { XBackends = Swap(mesh.XBackends, o, n) },
                (ConfigMap o, ConfigMap n) => mesh with { ConfigMaps = Swap(mesh.ConfigMaps, o, n) },
                (BackendTlsPolicy o, BackendTlsPolicy n) => mesh with { BackendTlsPolicies = Swap(mesh.BackendTlsPolicies, o, n) },
                (XBackendTrafficPolicy o, XBackendTrafficPolicy n) => mesh with { BackendTrafficPolicies = Swap(mesh.BackendTrafficPolicies, o, n) },
                _ => mesh,
            };
        }

        return mesh;
    }

    /// <summary>
    /// This snapshot without the <paramref name="removed"/> objects and with the <paramref name="added"/> ones, each put
    /// in its list at its place by <paramref name="order"/> (the order the lists were made in). The lists without a
    /// removed or added object stay the same instances, as with <see cref="Replacing"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A removed object is not in this snapshot.</exception>
    public MeshSnapshot Changing(IReadOnlyList<KubeObject> removed, IReadOnlyList<KubeObject> added, Comparison<KubeObject> order)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(order);
        var mesh = this;
        foreach (var (obj, add) in removed.Select(o => (o, false)).Concat(added.Select(o => (o, true))))
        {
            // The kinds of From, one list each.
            mesh = obj switch
            {
                Service o => mesh with { Services = Edit(mesh.Services, o, add, order) },
                EndpointSlice o => mesh with { EndpointSlices = Edit(mesh.EndpointSlices, o, add, order) },
                Route o => mesh with { Routes = Edit(mesh.Routes, o, add, order) },
                ReferenceGrant o => mesh with { ReferenceGrants = Edit(mesh.ReferenceGrants, o, add, order) },
                Namespace o => mesh with { Namespaces = Edit(mesh.Namespaces, o, add, order) },
                Pod o => mesh with { Pods = Edit(mesh.Pods, o, add, order) },
                ServiceAccount o => mesh with { ServiceAccounts = Edit(mesh.ServiceAccounts, o, add, order) },
                AuthorizationPolicy o => mesh with { AuthorizationPolicies = Edit(mesh.AuthorizationPolicies, o, add, order) },
                XBackend o => mesh with { XBackends = Edit(mesh.XBackends, o, add, order) },
                ConfigMap o => mesh with { ConfigMaps = Edit(mesh.ConfigMaps, o, add, order) },
                BackendTlsPolicy o => mesh with { BackendTlsPolicies = Edit(mesh.BackendTlsPolicies, o, add, order) },
                XBackendTrafficPolicy o => mesh with { BackendTrafficPolicies = Edit(mesh.BackendTrafficPolicies, o, add, order) },
                _ => mesh,
            };
        }

        return mesh;
    }

    /// <summary><paramref name="list"/> with <paramref name="obj"/> put in at its place by <paramref name="order"/> (<paramref name="add"/>) or taken out.</summary>
    private static T[] Edit<T>(IReadOnlyList<T> list, T obj, bool add, Comparison<KubeObject> order)
        where T : KubeObject
    {
        var items = list as T[] ?? [.. list];
        int at;
        if (add)
        {
            var (low, high) = (0, items.Length);
            while (low < high)
            {
                var mid = (low + high) >>> 1;
                (low, high) = order(items[mid], obj) < 0 ? (mid + 1, high) : (low, mid);
            }

            at = low;
        }
        else
        {
            // By reference: records compare by value, and deeply.
            for (at = 0; at < items.Length && !ReferenceEquals(items[at], obj); at++)
            {
            }

            if (at == items.Length)
            {
                throw new InvalidOperationException($"{obj.Kind} {obj.Key} is not in the snapshot it is removed from");
            }
        }

        var result = new T[items.Length + (add ? 1 : -1)];
        Array.Copy(items, result, at);
        if (add)
        {
            result[at] = obj;
            Array.Copy(items, at, result, at + 1, items.Length - at);
        }
        else
        {
            Array.Copy(items, at + 1, result, at, items.Length - at - 1);
        }

        return result;
    }

    private static T[] Swap<T>(IReadOnlyList<T> list, T old, T swapped)
        where T : KubeObject
    {
        var result = list.ToArray();
        for (var i = 0; i < result.Length; i++)
        {
            if (ReferenceEquals(result[i], old))
            {
                result[i] = swapped;
                return result;
            }
        }

        throw new InvalidOperationException($"{old.Kind} {old.Key} is not in the snapshot it is swapped in");
    }
}
