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

        // The lists of the kinds a cluster has most of are chunked (ChunkedList): an object's edit copies one chunk, not the
        // list; an object created or deleted copies the list in chunks (Remove, Insert), and it stays chunked.
        return new MeshSnapshot
        {
            Services = ChunkedList.Of(services),
            EndpointSlices = ChunkedList.Of(slices),
            Routes = ChunkedList.Of(routes),
            ReferenceGrants = [.. grants],
            Namespaces = [.. namespaces],
            Pods = ChunkedList.Of(pods),
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
            mesh = mesh.Edited(old, new Swap(old, swapped));
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
        foreach (var obj in removed)
        {
            mesh = mesh.Edited(obj, new Remove(obj));
        }

        foreach (var obj in added)
        {
            mesh = mesh.Edited(obj, new Insert(obj, order));
        }

        return mesh;
    }

    /// <summary>This snapshot with <paramref name="edit"/> made to the list of <paramref name="obj"/>'s kind (the kinds of <see cref="From"/>, one list each).</summary>
    private MeshSnapshot Edited(KubeObject obj, ListEdit edit) => obj switch
    {
        Service => this with { Services = edit.Apply(Services) },
        EndpointSlice => this with { EndpointSlices = edit.Apply(EndpointSlices) },
        Route => this with { Routes = edit.Apply(Routes) },
        ReferenceGrant => this with { ReferenceGrants = edit.Apply(ReferenceGrants) },
        Namespace => this with { Namespaces = edit.Apply(Namespaces) },
        Pod => this with { Pods = edit.Apply(Pods) },
        ServiceAccount => this with { ServiceAccounts = edit.Apply(ServiceAccounts) },
        AuthorizationPolicy => this with { AuthorizationPolicies = edit.Apply(AuthorizationPolicies) },
        XBackend => this with { XBackends = edit.Apply(XBackends) },
        ConfigMap => this with { ConfigMaps = edit.Apply(ConfigMaps) },
        BackendTlsPolicy => this with { BackendTlsPolicies = edit.Apply(BackendTlsPolicies) },
        XBackendTrafficPolicy => this with { BackendTrafficPolicies = edit.Apply(BackendTrafficPolicies) },
        _ => this,
    };

    /// <summary>One change to one of the lists: a new list, or the same one when the change does not apply to it.</summary>
    private abstract class ListEdit
    {
        public abstract IReadOnlyList<T> Apply<T>(IReadOnlyList<T> list)
            where T : KubeObject;

        /// <summary>Where <paramref name="obj"/> is in <paramref name="items"/>, by reference (records compare by value, and deeply).</summary>
        protected static int IndexOf<T>(ChunkedList<T> items, KubeObject obj, string what)
            where T : KubeObject =>
            obj is T item && items.IndexOfInstance(item) is var at && at >= 0 ? at
                : throw new InvalidOperationException($"{obj.Kind} {obj.Key} is not in the snapshot it is {what}");
    }

    /// <summary>An object swapped for another of its kind, in its place (one of another kind changes nothing).</summary>
    private sealed class Swap(KubeObject old, KubeObject swapped) : ListEdit
    {
        public override IReadOnlyList<T> Apply<T>(IReadOnlyList<T> list)
        {
            if (swapped is not T replacement)
            {
                return list;
            }

            var items = ChunkedList.Of(list);
            return items.SetItems([(IndexOf(items, old, "swapped in"), replacement)]);
        }
    }

    /// <summary>An object taken out: the list copied around it, in chunks.</summary>
    private sealed class Remove(KubeObject obj) : ListEdit
    {
        public override IReadOnlyList<T> Apply<T>(IReadOnlyList<T> list)
        {
            var items = ChunkedList.Of(list);
            var at = IndexOf(items, obj, "removed from");
            var result = new ChunkedListBuilder<T>();
            result.AddRange(items, 0, at);
            result.AddRange(items, at + 1, items.Count - at - 1);
            return result.ToList();
        }
    }

    /// <summary>An object put in at its place by the order the list was made in: the list copied around it, in chunks.</summary>
    private sealed class Insert(KubeObject obj, Comparison<KubeObject> order) : ListEdit
    {
        public override IReadOnlyList<T> Apply<T>(IReadOnlyList<T> list)
        {
            var items = ChunkedList.Of(list);
            var (low, high) = (0, items.Count);
            while (low < high)
            {
                var mid = (low + high) >>> 1;
                (low, high) = order(items[mid], obj) < 0 ? (mid + 1, high) : (low, mid);
            }

            var result = new ChunkedListBuilder<T>();
            result.AddRange(items, 0, low);
            result.Add((T)obj);
            result.AddRange(items, low, items.Count - low);
            return result.ToList();
        }
    }
}
