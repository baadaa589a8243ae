using System.Collections.Concurrent;
using System.Globalization;
using Weft.Api.Model;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>
/// The GAMMA semantics over one snapshot, as pure functions: which routes bind to which Service port (gamma-spec A),
/// producer and consumer views (B), defaults (C), route-type conflicts (D), precedence (E, K), backends (F), filters (G)
/// and status (H). Immutable; safe to share across threads.
/// </summary>
public sealed partial class MeshModel
{
    public const string DefaultControllerName = "weft.dev/mesh";
    public const string DefaultTrustDomain = "cluster.local";
    public const string DefaultClusterDomain = "cluster.local";

    private static readonly string[] TypeOrder = ["GRPCRoute", "HTTPRoute", "TLSRoute", "TCPRoute"];

    private readonly MeshSnapshot _snapshot;
    private readonly MeshIndex _index;
    /// <summary>B3: the routes of each group, in order. An update's is a <see cref="LayeredMap{TKey, TValue}"/> of the previous model's.</summary>
    private readonly LayeredMap<GroupKey, List<AnalyzedRoute>> _groups;

    /// <summary>
    /// Every analysed route with its parent bindings, by route instance, so that <see cref="Update"/> can reuse them. An
    /// update's is a <see cref="LayeredMap{TKey, TValue}"/> of the previous model's: a change does not copy the whole cluster's.
    /// </summary>
    private readonly LayeredMap<Route, RouteAnalysis> _analyzedByRoute;

    /// <summary>
    /// Every route by kind, namespace and name, for <see cref="StatusOf"/>; shared with the models made from this one. A
    /// name two routes hold (a snapshot made by hand; the API server has one object per name) finds one of them, or none
    /// once the one it found is gone.
    /// </summary>
    private readonly LayeredMap<(string Kind, string Namespace, string Name), Route> _routesByName;

    /// <summary>The analysed routes by the Services they name, so that <see cref="Update"/> finds those a change touches; shared with the models made from this one.</summary>
    private readonly RouteReferences _routeReferences;

    private static long s_lastId;

    /// <summary>This model among all (<see cref="RouteReferences"/> follows one).</summary>
    private readonly long _id = Interlocked.Increment(ref s_lastId);

    /// <summary>
    /// Policies compiled on this model by <see cref="Compile(string, string, int)"/>, by client namespace, canonical host
    /// (<see cref="HostName.Canonical"/>) and port; unchanged ones carry over to the next model. Only what the model bounds is
    /// kept (<see cref="Keep"/>): a sidecar asks for whatever its app dials, and a model can live for hours.
    /// </summary>
    private readonly ConcurrentDictionary<(string ClientNamespace, string Host, int Port), CompiledEntry> _compiled = new();

    /// <summary>How many kept policies (<see cref="_compiled"/> and <see cref="_compiledL4"/>) are <see cref="CompiledBound.Loose"/>.</summary>
    private int _looseCompiled;

    private readonly Lazy<IReadOnlyList<RouteStatus>> _statuses;

    private MeshModel(MeshSnapshot snapshot, string controllerName, string trustDomain, string clusterDomain, string defaultInboundPolicy, string defaultOutboundPolicy, string defaultMtls, MeshModel? previous)
    {
        ControllerName = controllerName;
        DefaultInboundPolicy = defaultInboundPolicy;
        DefaultOutboundPolicy = defaultOutboundPolicy;
        DefaultMtls = defaultMtls;
        ClusterDomain = clusterDomain.Trim('.').ToLowerInvariant();
        _snapshot = snapshot;

        // The index and each route's analysis depend only on Services, EndpointSlices, Pods, and for TLS and external
        // backends XBackends, ConfigMaps, ReferenceGrants and the backend policies (and the route): when those are the
        // same instances as in the previous model (a route edit), reuse them instead of re-analysing every route. When
        // only Services, EndpointSlices and Pods differ (a Service edited, created or deleted, endpoints moved, pods came,
        // went or changed), the index keeps what does not depend on them, the other Services and the endpoints of the
        // other Services, and only routes that name a changed Service (as parent or backend) or have a backend whose
        // endpoints moved are analysed again. A pod moves the endpoints of every Service with a slice that names it or its
        // address (before or after): what a Service's endpoints read of a pod is found by those two. A changed Service
        // counts as moved too: its endpoints are resolved through its ports.
        var sameButServices = previous is not null
            && previous.TrustDomain == trustDomain
            && SameInstances(previous._snapshot.XBackends, snapshot.XBackends)
            && SameInstances(previous._snapshot.ConfigMaps, snapshot.ConfigMaps)
            && SameInstances(previous._snapshot.ReferenceGrants, snapshot.ReferenceGrants)
            && SameInstances(previous._snapshot.BackendTlsPolicies, snapshot.BackendTlsPolicies)
            && SameInstances(previous._snapshot.BackendTrafficPolicies, snapshot.BackendTrafficPolicies);
        var sameServices = sameButServices && SameInstances(previous!._snapshot.Services, snapshot.Services);
        var samePods = sameButServices && SameInstances(previous!._snapshot.Pods, snapshot.Pods);
        var reuse = sameServices && samePods && SameInstances(previous!._snapshot.EndpointSlices, snapshot.EndpointSlices);
        HashSet<string>? services = null;
        IReadOnlySet<string>? addresses = null;
        HashSet<string>? moved = null;
        PodChanges? pods = null;
        MeshIndex? index = null;
        if (sameButServices && !reuse)
        {
            index = previous!._index;
            if (!sameServices)
            {
                var (gone, added) = Changed(previous._snapshot.Services, snapshot.Services);
                services = [.. gone.Concat(added).Select(svc => svc.Key)];
                index = index.WithServices(snapshot.Services, gone, added, out addresses);
            }

            var sameSlices = SameInstances(previous._snapshot.EndpointSlices, snapshot.EndpointSlices);
            var (goneSlices, addedSlices) = sameSlices ? (new List<EndpointSlice>(), new List<EndpointSlice>()) : Changed(previous._snapshot.EndpointSlices, snapshot.EndpointSlices);
            moved = ServicesOf(goneSlices, addedSlices);
            if (!samePods)
            {
                var (gone, added) = Changed(previous._snapshot.Pods, snapshot.Pods);
                pods = new PodChanges(gone, added);
                index.AddServicesOf(pods, previous._snapshot.EndpointSlices, moved);
            }

            if (!sameSlices || !samePods)
            {
                index = index.WithEndpoints(snapshot, moved, goneSlices, addedSlices, pods);
            }

            // A changed Service's endpoints are resolved through its ports: they count as moved from here on.
            if (services is not null)
            {
                moved.UnionWith(services);
            }
        }

        _index = reuse ? previous!._index
            : index ?? new MeshIndex(snapshot, trustDomain);

        var incremental = reuse || moved is not null;
        if (incremental)
        {
            // What the previous model analysed and grouped, with only the changed routes' entries replaced.
            _routeReferences = previous!._routeReferences;
            (_analyzedByRoute, _groups, _routesByName) = UpdateRoutes(previous, snapshot, moved, services);
        }
        else
        {
            var analyzedByRoute = new Dictionary<Route, RouteAnalysis>(snapshot.Routes.Count, ReferenceEqualityComparer.Instance);
            var groups = new Dictionary<GroupKey, List<AnalyzedRoute>>();
            var names = new Dictionary<(string, string, string), Route>(snapshot.Routes.Count);
            foreach (var route in snapshot.Routes)
            {
                names[NameOf(route)] = route;
                if (!analyzedByRoute.ContainsKey(route) && RouteAnalyzer.Analyze(_index, route) is { } a)
                {
                    var entry = new RouteAnalysis(a, BindParents(route));
                    analyzedByRoute[route] = entry;
                    foreach (var key in GroupKeysOf(entry))
                    {
                        AddToGroup(groups, key, a);
                    }
                }
            }

            foreach (var list in groups.Values)
            {
                list.Sort(ByTypeThenPrecedence);
            }

            (_analyzedByRoute, _groups, _routesByName) = (new(analyzedByRoute), new(groups), new(names));

            _routeReferences = new RouteReferences();
        }

        if (incremental)
        {
            CarryOverCompiled(previous!, moved, addresses);
        }

        // With AuthorizationPolicies, the previous model's resolution of their targets, resolved again only in the
        // namespaces a change touched: the other namespaces' pods keep their inbound policies.
        HashSet<string>? touched = null;
        _authorizationTargets = incremental ? CarriedTargets(previous!, snapshot, moved, pods, out touched) : null;
        if (previous is not null && SameInboundInputs(previous, snapshot, reuse))
        {
            CarryOverInbound(previous, changed: null, namespaces: null);
        }
        else if (_authorizationTargets is not null)
        {
            CarryOverInbound(previous!, pods?.Names, touched);
        }
        else if (pods is not null && SameInboundInputsButPods(previous!, snapshot))
        {
            CarryOverInbound(previous!, pods.Names, namespaces: null);
        }

        if (previous is not null)
        {
            _l4Pods = L4PodsAfter(previous, snapshot, samePods, pods);
            _l4WorkloadsBefore = Volatile.Read(ref previous._l4Workloads) ?? previous._l4WorkloadsBefore;
        }

        // H: statuses are for status reporting, not for pushing policies; build them when first asked for.
        _statuses = new Lazy<IReadOnlyList<RouteStatus>>(() =>
        {
            // In chunks: the status writer asks for every model's, and at 50,000 routes a list of them is a large object.
            var statuses = new ChunkedListBuilder<RouteStatus>();
            foreach (var route in snapshot.Routes)
            {
                if (_analyzedByRoute[route] is { } analyzed)
                {
                    statuses.Add(StatusFor(analyzed));
                }
            }

            return statuses.ToList();
        });
    }

    public string ControllerName { get; }
    public string TrustDomain => _index.TrustDomain;
    public string ClusterDomain { get; }

    /// <summary>
    /// The mesh's default inbound policy (<see cref="Authorization.DefaultInboundPolicies"/>, canonical): what a pod admits
    /// when no ALLOW policy targets it and neither it nor its namespace sets one.
    /// </summary>
    public string DefaultInboundPolicy { get; }

    /// <summary>
    /// The mesh's default outbound policy (<see cref="OutboundPolicies"/>, canonical): what a client's sidecar does with
    /// traffic to a destination outside the mesh when neither its pod nor its namespace sets one.
    /// </summary>
    public string DefaultOutboundPolicy { get; }

    /// <summary>
    /// The mesh's default mTLS mode (<see cref="MeshLevels.AllMtls"/>, canonical; <c>weft up --mtls-default</c>, the
    /// injector's default): what a pod's sidecar runs when neither it nor its namespace sets <see cref="MeshLevels.MtlsKey"/>.
    /// </summary>
    public string DefaultMtls { get; }

    /// <summary>One entry per route of every kind, in snapshot order; <c>Parents</c> lists only Service parentRefs (H1).</summary>
    public IReadOnlyList<RouteStatus> Statuses => _statuses.Value;

    /// <summary>
    /// The status of the route of <paramref name="kind"/> (an HTTPRoute's is <c>HTTPRoute</c>) in <paramref name="ns"/> named
    /// <paramref name="name"/>, as <see cref="Statuses"/> has it, made for it alone; null when <see cref="Statuses"/> has
    /// none. The same instance as the previous model's while nothing it reads changed (<see cref="StatusFor"/>), so that a
    /// caller who compares each status with what is written (the status writer) finds what a change touched by instance.
    /// Every route's is made again after a change that rebuilds the model (of XBackends, ConfigMaps, ReferenceGrants or
    /// backend policies), and after a change of the mesh's l4 workloads.
    /// </summary>
    public RouteStatus? StatusOf(string kind, string ns, string name) =>
        _routesByName[(kind, ns, name)] is { } route && _analyzedByRoute[route] is { } analyzed ? StatusFor(analyzed) : null;

    public static MeshModel Build(
        MeshSnapshot snapshot,
        string controllerName = DefaultControllerName,
        string trustDomain = DefaultTrustDomain,
        string clusterDomain = DefaultClusterDomain,
        string defaultInboundPolicy = Authorization.DefaultInboundPolicies.AllUnauthenticated,
        string defaultOutboundPolicy = OutboundPolicies.AllowAny,
        string defaultMtls = MeshLevels.MtlsStrict)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(controllerName);
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        ArgumentException.ThrowIfNullOrEmpty(clusterDomain);
        var inbound = Authorization.DefaultInboundPolicies.Parse(defaultInboundPolicy) ?? throw new ArgumentException(
            $"the default inbound policy must be one of {string.Join(", ", Authorization.DefaultInboundPolicies.All)}, not '{defaultInboundPolicy}'", nameof(defaultInboundPolicy));
        var outbound = OutboundPolicies.Parse(defaultOutboundPolicy) ?? throw new ArgumentException(
            $"the default outbound policy must be one of {string.Join(", ", OutboundPolicies.All)}, not '{defaultOutboundPolicy}'", nameof(defaultOutboundPolicy));
        var mtls = MeshLevels.ParseMtls(defaultMtls) ?? throw new ArgumentException(
            $"the default mTLS mode must be one of {string.Join(", ", MeshLevels.AllMtls)}, not '{defaultMtls}'", nameof(defaultMtls));
        return new MeshModel(snapshot, controllerName, trustDomain, clusterDomain, inbound, outbound, mtls, previous: null);
    }

    /// <summary>
    /// The model of a newer <paramref name="snapshot"/> with this model's controller name, trust domain, cluster domain,
    /// default inbound and outbound policies and default mTLS mode:
    /// the same result as <see cref="Build"/>, but when the snapshot's Services, EndpointSlices and Pods are the same
    /// instances as this model's, the analysis of every unchanged route (same instance) and the policies compiled for
    /// destinations whose route groups did not change are reused, so that one route edit costs little. When only
    /// Services, EndpointSlices and Pods differ, the same holds for every route that names no changed Service (as parent
    /// or backend) and every destination that is not such a Service, not at a cluster IP a changed Service held or holds,
    /// and does not carry the endpoints of a Service whose slices changed or refer to a pod that changed: so that a Service
    /// edited, created or deleted, an endpoint moving or a pod coming, going or changing costs little too. Each of the
    /// snapshot's lists names an object once, as the store's do.
    /// </summary>
    public MeshModel Update(MeshSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            return new MeshModel(snapshot, ControllerName, TrustDomain, ClusterDomain, DefaultInboundPolicy, DefaultOutboundPolicy, DefaultMtls, this);
        }
        catch
        {
            // The caller keeps serving this model (the translator does): its index keeps what it resolves again.
            _index.Reclaim();
            throw;
        }
    }

    /// <summary>
    /// The frontend that traffic from <paramref name="clientNamespace"/> to (host, port) reaches: a ClusterIP (A8), a
    /// Service name (A10: svc and svc.ns resolve in the client's namespace context, svc.ns.svc[.cluster domain] anywhere),
    /// or a pod IP (A7, the backend facet). Null for an unknown host or a port the Service does not have.
    /// </summary>
    public ServiceFrontend? ResolveFrontend(string clientNamespace, string host, int port) => Resolve(clientNamespace, host, port, out _);

    /// <summary>The policy for traffic from <paramref name="clientNamespace"/> to (host, port); null for an unknown destination.</summary>
    /// <remarks>
    /// The same instance is returned while the destination's inputs are unchanged, on this model and on models made from
    /// it by <see cref="Update"/>, for every destination the model keeps (<see cref="Keep"/>): all but loose ones beyond
    /// <see cref="MaxLooseCompiled"/>, which are compiled anew on each call.
    /// </remarks>
    public DestinationPolicy? Compile(string clientNamespace, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(clientNamespace);
        ArgumentNullException.ThrowIfNull(host);
        if (KeyOf(clientNamespace, host, port) is not { } key)
        {
            return null;
        }

        if (!_compiled.TryGetValue(key, out var entry))
        {
            entry = CompileEntry(clientNamespace, key.Host, port);
            entry = Keep(_compiled, key, entry, entry.Bound);
        }

        entry.Used = true;
        return entry.Policy;
    }

    /// <summary>
    /// At most this many policies a model does not bound (<see cref="CompiledBound.Loose"/>: a pod IP at a port no Service
    /// targets, any of 65,535 per pod) are kept per model, so that an app scanning ports cannot grow the control plane's
    /// memory until the next model; beyond it they are compiled on each call, as destinations the model does not know
    /// always are.
    /// </summary>
    internal const int MaxLooseCompiled = 10_000;

    /// <summary>Whether this model's endpoint cache holds an entry of <paramref name="service"/> (namespace/name; tests).</summary>
    internal bool CachesEndpointsOf(string service) => _index.CachesEndpointsOf(service);

    /// <summary>How many compiled policies this model keeps (tests).</summary>
    internal int CompiledCount => _compiled.Count + _compiledL4.Count;

    /// <summary>
    /// <paramref name="value"/> kept under <paramref name="key"/> when the model bounds it (or the kept one, when another
    /// thread kept one first); a destination the model does not know, or a loose one beyond <see cref="MaxLooseCompiled"/>,
    /// is handed back unkept.
    /// </summary>
    private TValue Keep<TValue>(ConcurrentDictionary<(string ClientNamespace, string Host, int Port), TValue> cache, (string ClientNamespace, string Host, int Port) key, TValue value, CompiledBound bound)
        where TValue : class?
    {
        if (bound == CompiledBound.Unknown)
        {
            return value;
        }

        if (bound == CompiledBound.Loose && Interlocked.Increment(ref _looseCompiled) > MaxLooseCompiled)
        {
            Interlocked.Decrement(ref _looseCompiled);
            return value;
        }

        var kept = cache.GetOrAdd(key, value);
        if (bound == CompiledBound.Loose && !ReferenceEquals(kept, value))
        {
            Interlocked.Decrement(ref _looseCompiled);
        }

        return kept;
    }

    /// <summary>Whether the model bounds how many policies like a frontend's it can be asked for (<see cref="Keep"/>): not a pod IP at a port no Service targets.</summary>
    private static CompiledBound BoundOf(ServiceFrontend frontend) => frontend.ServicePort is null ? CompiledBound.Loose : CompiledBound.Model;

    /// <summary>The longest host the model can know (<see cref="HostName.MaxLength"/>); a longer one is unknown.</summary>
    public const int MaxHostLength = HostName.MaxLength;

    /// <summary>The key of (host, port) in a compiled-policy cache for a client namespace; null for a host longer than any the model can know.</summary>
    private static (string ClientNamespace, string Host, int Port)? KeyOf(string clientNamespace, string host, int port)
    {
        var canonical = HostName.Canonical(host);
        return canonical.Length > HostName.MaxLength ? null : (clientNamespace, canonical, port);
    }

    private CompiledEntry CompileEntry(string clientNamespace, string host, int port)
    {
        var frontend = ResolveFrontend(clientNamespace, host, port);
        if (frontend is null)
        {
            // A declared external host is bounded by the XBackends that declare it; anything else is unknown.
            var declared = CompileDeclared(clientNamespace, host, port);
            return new CompiledEntry(declared, null, null, declared is null ? CompiledBound.Unknown : CompiledBound.Model);
        }

        var policy = Compile(clientNamespace, frontend).Policy;
        if (frontend.AddressedBy == FrontendAddress.PodIP || frontend.Service is null)
        {
            return new CompiledEntry(policy, null, null, BoundOf(frontend));
        }

        // B3: the policy depends on the producer group and the client namespace's consumer group of this Service port.
        var svc = frontend.Service;
        return new CompiledEntry(policy, new GroupKey(svc.Key, frontend.Port, svc.Namespace), new GroupKey(svc.Key, frontend.Port, clientNamespace), CompiledBound.Model);
    }

    /// <summary>B3: a route's groups, by (Service, port, route namespace) of each bound parent port; none without a rule to apply.</summary>
    private static IEnumerable<GroupKey> GroupKeysOf(RouteAnalysis entry)
    {
        if (!entry.Route.HasValidRule)
        {
            yield break;
        }

        foreach (var p in entry.Parents)
        {
            foreach (var port in p.Ports)
            {
                yield return new GroupKey(p.Service!.Key, port.Port, entry.Route.Route.Namespace);
            }
        }
    }

    private static int ByTypeThenPrecedence(AnalyzedRoute a, AnalyzedRoute b) => a.Type != b.Type ? a.Type.CompareTo(b.Type) : Precedence.CompareRoutes(a, b);

    /// <summary>
    /// The previous model's analyses and groups with what changed replaced (the index is the previous one, or it with
    /// <paramref name="moved"/> endpoints): routes gone or new (by instance) and routes with a backend whose endpoints
    /// moved are removed from their groups and analysed again, and only the groups they were or are in are made anew.
    /// The same result as analysing and grouping every route: a group is sorted by a total order. The routes a change of
    /// Services or endpoints touches are found by the Services they name (<see cref="RouteReferences"/>), not by looking
    /// at every route.
    /// </summary>
    private (LayeredMap<Route, RouteAnalysis>, LayeredMap<GroupKey, List<AnalyzedRoute>>, LayeredMap<(string, string, string), Route>) UpdateRoutes(
        MeshModel previous, MeshSnapshot snapshot, HashSet<string>? moved, HashSet<string>? services)
    {
        // What changes, as the layers over the previous model's maps take it: a route's new analysis or none (null).
        var analyses = new Dictionary<Route, RouteAnalysis?>(ReferenceEqualityComparer.Instance);
        var (gone, added) = Changed(previous._snapshot.Routes, snapshot.Routes);
        var names = new Dictionary<(string, string, string), Route?>();
        foreach (var route in gone)
        {
            if (ReferenceEquals(previous._routesByName[NameOf(route)], route))
            {
                names[NameOf(route)] = null;
            }
        }

        foreach (var route in added)
        {
            names[NameOf(route)] = route;
        }
        if (moved is { Count: > 0 })
        {
            // moved holds the changed Services too: every route to look at names one of them.
            var goneSet = gone.Count == 0 ? null : new HashSet<Route>(gone, ReferenceEqualityComparer.Instance);
            foreach (var route in _routeReferences.Naming(previous._id, previous._analyzedByRoute, moved))
            {
                var entry = previous._analyzedByRoute[route]!;
                if ((NamesAny(entry.Route.EndpointServices, moved) || (services is not null && NamesAny(entry.Route.ServiceRefs, services)))
                    && goneSet?.Contains(route) != true)
                {
                    gone.Add(route);
                    added.Add(route);
                }
            }
        }

        var affected = new HashSet<GroupKey>();
        var removed = new HashSet<AnalyzedRoute>(ReferenceEqualityComparer.Instance);
        foreach (var route in gone)
        {
            if (!analyses.ContainsKey(route) && previous._analyzedByRoute[route] is { } old)
            {
                analyses[route] = null;
                removed.Add(old.Route);
                affected.UnionWith(GroupKeysOf(old));
            }
        }

        var fresh = new List<(RouteAnalysis Entry, GroupKey[] Keys)>();
        foreach (var route in added)
        {
            var held = analyses.TryGetValue(route, out var changed) ? changed : previous._analyzedByRoute[route];
            if (held is null && RouteAnalyzer.Analyze(_index, route) is { } a)
            {
                var entry = new RouteAnalysis(a, BindParents(route));
                analyses[route] = entry;
                var keys = GroupKeysOf(entry).ToArray();
                fresh.Add((entry, keys));
                affected.UnionWith(keys);
            }
        }

        // Each affected group: what it held minus the removed routes, plus the fresh routes that belong to it, in order.
        var rebuilt = new Dictionary<GroupKey, List<AnalyzedRoute>>(affected.Count);
        foreach (var key in affected)
        {
            rebuilt[key] = previous._groups[key] is { } before ? before.Where(r => !removed.Contains(r)).ToList() : [];
        }

        foreach (var (entry, keys) in fresh)
        {
            foreach (var key in keys)
            {
                AddToGroup(rebuilt, key, entry.Route);
            }
        }

        var groups = new Dictionary<GroupKey, List<AnalyzedRoute>?>(rebuilt.Count);
        foreach (var (key, list) in rebuilt)
        {
            list.Sort(ByTypeThenPrecedence);
            groups[key] = list.Count == 0 ? null : list;
        }

        _routeReferences.Advance(previous._id, _id, [.. fresh.Select(f => f.Entry.Route)], removed.Count);
        return (previous._analyzedByRoute.With(analyses), previous._groups.With(groups), previous._routesByName.With(names));
    }

    private static (string Kind, string Namespace, string Name) NameOf(Route route) => (route.Kind, route.Namespace, route.Name);

    private static bool NamesAny(IReadOnlyList<string> keys, HashSet<string> set)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (set.Contains(keys[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds <paramref name="route"/> to the group <paramref name="key"/> (made when missing), once.</summary>
    private static void AddToGroup(Dictionary<GroupKey, List<AnalyzedRoute>> groups, GroupKey key, AnalyzedRoute route)
    {
        if (!groups.TryGetValue(key, out var list))
        {
            groups[key] = list = [];
        }

        if (!list.Contains(route))
        {
            list.Add(route);
        }
    }

    /// <summary>
    /// What changed from <paramref name="before"/> to <paramref name="after"/>, by instance: objects on one side only, and
    /// objects whose order relative to the others changed (an object moved counts as gone and added: analysing it again
    /// gives what a full build gives, and the first pod of an address or the last of a name is decided by order). The
    /// store keeps each object's place and puts a new one in at its place, so the lists are first aligned by reference
    /// (<see cref="ListAlignment"/>); when that leaves many over, each object's place is looked up instead. A snapshot
    /// lists each object once (the store's do).
    /// </summary>
    private static (List<T> Gone, List<T> Added) Changed<T>(IReadOnlyList<T> before, IReadOnlyList<T> after)
        where T : class
    {
        const int Few = 64;
        var (goneAt, addedAt) = (new List<int>(), new List<int>());
        if (ListAlignment.TryAlign(before, after, Few, goneAt, addedAt))
        {
            return ([.. goneAt.Select(k => before[k])], [.. addedAt.Select(k => after[k])]);
        }

        // By place: an object of after whose place in before is behind one already met came out of order.
        var place = new Dictionary<T, int>(before.Count, ReferenceEqualityComparer.Instance);
        for (var k = 0; k < before.Count; k++)
        {
            place.TryAdd(before[k], k);
        }

        var (gone, added) = (new List<T>(), new List<T>());
        var kept = new HashSet<T>(ReferenceEqualityComparer.Instance);
        var highest = -1;
        foreach (var obj in after)
        {
            if (place.TryGetValue(obj, out var at) && at > highest)
            {
                highest = at;
                kept.Add(obj);
            }
            else
            {
                added.Add(obj);
            }
        }

        gone.AddRange(before.Where(obj => !kept.Contains(obj)));
        return (gone, added);
    }

    /// <summary>
    /// Keeps the previous model's policies (still in use) whose producer and consumer groups hold the same routes in the
    /// same order; when endpoints <paramref name="moved"/> or Services changed (they count as moved), only those of a
    /// Service frontend whose own endpoints and Service did not (a policy without routes carries them; one with routes has
    /// its backends' in the routes' analyses), and not those of an address in <paramref name="addresses"/> (a cluster IP
    /// a changed Service held or holds, which may now be another Service's).
    /// </summary>
    private void CarryOverCompiled(MeshModel previous, HashSet<string>? moved, IReadOnlySet<string>? addresses)
    {
        foreach (var (key, entry) in previous._compiled)
        {
            if (entry.Used && SameGroup(previous, entry.Producer) && SameGroup(previous, entry.Consumer)
                && (moved is null || (entry.Producer is { } producer && !moved.Contains(producer.ServiceKey)))
                && addresses?.Contains(key.Host) != true)
            {
                _compiled.TryAdd(key, new CompiledEntry(entry.Policy, entry.Producer, entry.Consumer, entry.Bound));
                if (entry.Bound == CompiledBound.Loose)
                {
                    _looseCompiled++;
                }
            }
        }
    }

    /// <summary>The Services (namespace/name) that own the <paramref name="gone"/> or <paramref name="added"/> slices.</summary>
    private static HashSet<string> ServicesOf(List<EndpointSlice> gone, List<EndpointSlice> added)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in gone.Concat(added))
        {
            if (slice.ServiceKey is { } service)
            {
                changed.Add(service);
            }
        }

        return changed;
    }

    private bool SameGroup(MeshModel previous, GroupKey? key) =>
        key is not { } k || SameInstances(previous._groups[k], _groups[k]);

    private static bool SameInstances<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b)
        where T : class
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is ChunkedList<T> x && b is ChunkedList<T> y)
        {
            return x.SameInstances(y);
        }

        var n = a?.Count ?? 0;
        if (n != (b?.Count ?? 0))
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            if (!ReferenceEquals(a![i], b![i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A compiled policy and the route groups it was compiled from (null for a pod IP or unknown destination).</summary>
    private sealed class CompiledEntry(DestinationPolicy? policy, GroupKey? producer, GroupKey? consumer, CompiledBound bound)
    {
        public DestinationPolicy? Policy { get; } = policy;
        public GroupKey? Producer { get; } = producer;
        public GroupKey? Consumer { get; } = consumer;
        public CompiledBound Bound { get; } = bound;

        /// <summary>Read on this model: only policies someone still asks for carry over, so departed subscriptions do not pile up.</summary>
        public bool Used { get; set; }
    }

    /// <summary>Whether a model bounds how many compiled policies of a kind it can be asked for (<see cref="Keep"/>).</summary>
    private enum CompiledBound
    {
        /// <summary>A destination the model does not know: never kept (the answer is null, which needs no instance kept).</summary>
        Unknown,

        /// <summary>A Service frontend by a canonical spelling, a pod IP at a port a Service targets, or a declared external host: as many as the model has.</summary>
        Model,

        /// <summary>A pod IP at any other port: kept up to <see cref="MaxLooseCompiled"/> per model.</summary>
        Loose,
    }

    // ---- A: binding ----

    /// <summary>A1: group "" (or the "core" alias) and kind Service; anything else (a Gateway...) is another controller's.</summary>
    public static bool IsServiceParent(ParentReference p) => CoreServiceRef.Is(p.Group, p.Kind);

    /// <summary>A2: a Service parentRef's namespace defaults to the route's (no ReferenceGrant applies to Service parents).</summary>
    internal static string ParentNamespace(Route route, ParentReference p) => string.IsNullOrEmpty(p.Namespace) ? route.Namespace : p.Namespace;

    private List<ParentBinding> BindParents(Route route)
    {
        var result = new List<ParentBinding>();
        for (var i = 0; i < route.ParentRefs.Count; i++)
        {
            var p = route.ParentRefs[i];
            if (IsServiceParent(p))
            {
                result.Add(Bind(route, p, i));
            }
        }

        return result;
    }

    private ParentBinding Bind(Route route, ParentReference p, int index)
    {
        var ns = ParentNamespace(route, p);
        var svc = _index.Service(ns, p.Name);
        ParentBinding None(string message) => new(index, p, svc, [], new(RouteConditions.NoMatchingParent, message));
        if (svc is null)
        {
            return None($"Service {ns}/{p.Name} not found; create it or fix parentRefs[{index}] name/namespace.");
        }

        // A3: headless and ExternalName Services have no frontend to attach to.
        if (svc.Spec.Type == "ExternalName")
        {
            return None($"Service {svc.Key} is of type ExternalName: it has no cluster IP frontend, so mesh routes cannot attach to it (gamma-spec A3). Use a ClusterIP Service.");
        }

        if (svc.IsHeadless)
        {
            return None($"Service {svc.Key} is headless (clusterIP: None): clients reach its pods directly, so mesh routes cannot attach to it (gamma-spec A3). Use a ClusterIP Service.");
        }

        // A4/A5: port selects spec.ports[].port, sectionName the port's name; both must agree; neither means every port.
        var ports = new List<ServicePort>();
        foreach (var sp in svc.Spec.Ports)
        {
            if ((p.Port is null || p.Port == sp.Port) && (string.IsNullOrEmpty(p.SectionName) || p.SectionName == sp.Name))
            {
                ports.Add(sp);
            }
        }

        if (ports.Count == 0)
        {
            var what = (p.Port, p.SectionName) switch
            {
                ({ } n, { Length: > 0 } s) => $"parentRef port {n} with sectionName \"{s}\"",
                ({ } n, _) => $"parentRef port {n}",
                (_, { Length: > 0 } s) => $"parentRef sectionName \"{s}\"",
                _ => "parentRef",
            };
            return None($"{what} matches no port of Service {svc.Key} ({MeshIndex.DescribePorts(svc)}); parentRefs[].port is the Service port (not the targetPort) and sectionName the port's name.");
        }

        return new(index, p, svc, ports, null);
    }

    // ---- H: status ----

    /// <summary>
    /// <paramref name="entry"/>'s status: the one made before (by this model or one it shares the analysis with) when this
    /// model's l4 workloads and groups of the route's parent ports are the instances that one read; a status reads nothing
    /// else outside the analysis but the controller name, which the models sharing an analysis share (<see cref="Status"/>,
    /// <see cref="Accepted"/>). Otherwise made now, and kept for the models after this one: a change makes again the
    /// statuses of the routes it analyses again or whose groups it changes (all of them when the l4 workloads change).
    /// </summary>
    private RouteStatus StatusFor(RouteAnalysis entry)
    {
        var l4Workloads = L4Workloads();
        if (entry.Status is { } made && ReferenceEquals(made.L4Workloads, l4Workloads) && ReadsSameGroups(made.Groups))
        {
            return made.Status;
        }

        var status = Status(entry.Route, entry.Parents);
        entry.Status = new RouteStatusMade(status, l4Workloads, GroupsReadBy(entry));
        return status;
    }

    /// <summary>
    /// The groups a route's status reads (<see cref="Accepted"/>, and <see cref="Select"/> for an l4 client in the route's
    /// namespace), with their keys: for each port of each parent, the route namespace's and the Service namespace's (the
    /// producer routes'). The keys depend on the analysis only, so a model holding the same analysis reads the same keys.
    /// </summary>
    private (GroupKey Key, List<AnalyzedRoute>? Group)[] GroupsReadBy(RouteAnalysis entry)
    {
        var groups = new List<(GroupKey, List<AnalyzedRoute>?)>();
        foreach (var p in entry.Parents)
        {
            foreach (var port in p.Service is null ? [] : p.Ports)
            {
                var own = new GroupKey(p.Service!.Key, port.Port, entry.Route.Route.Namespace);
                var producers = own with { RouteNamespace = p.Service.Namespace };
                groups.Add((own, _groups[own]));
                groups.Add((producers, _groups[producers]));
            }
        }

        return [.. groups];
    }

    /// <summary>Whether this model holds the groups of <paramref name="read"/>'s keys as the instances read (<see cref="GroupsReadBy"/>).</summary>
    private bool ReadsSameGroups((GroupKey Key, List<AnalyzedRoute>? Group)[] read)
    {
        foreach (var (key, group) in read)
        {
            if (!ReferenceEquals(_groups[key], group))
            {
                return false;
            }
        }

        return true;
    }

    private RouteStatus Status(AnalyzedRoute route, List<ParentBinding> parents)
    {
        var r = route.Route;
        var generation = r.Metadata.Generation;
        var invalid = route.Rules.Where(x => x.Problem is not null).ToList();
        var resolved = route.BackendProblems.Count == 0
            ? new RouteCondition(RouteConditions.ResolvedRefs, RouteConditions.True, RouteConditions.ResolvedRefs, "All backendRefs resolved.", generation)
            : new RouteCondition(RouteConditions.ResolvedRefs, RouteConditions.False, route.BackendProblems[0].Reason,
                string.Join(" ", route.BackendProblems.Select(x => x.Message)), generation);

        var entries = new List<RouteParentStatus>(parents.Count);
        foreach (var p in parents)
        {
            var conditions = new List<RouteCondition>(3) { Accepted(route, p, invalid, generation), resolved };
            if (conditions[0].Status == RouteConditions.True && invalid.Count > 0)
            {
                // H2 "Drop Rule(s)": the valid rules apply, the others are named here.
                conditions.Add(new RouteCondition(RouteConditions.PartiallyInvalid, RouteConditions.True, RouteConditions.UnsupportedValue,
                    $"Dropped Rule(s) {string.Join(", ", invalid.Select(x => x.Display))}: {string.Join(" ", invalid.Select(x => x.Problem!.Message))}", generation));
            }

            entries.Add(new RouteParentStatus(p.Ref, ControllerName, conditions));
        }

        return new RouteStatus(r.Kind, r.Namespace, r.Name, generation, entries);
    }

    private RouteCondition Accepted(AnalyzedRoute route, ParentBinding p, List<AnalyzedRule> invalid, long generation)
    {
        RouteCondition False(string reason, string message) => new(RouteConditions.Accepted, RouteConditions.False, reason, message, generation);
        if (p.Problem is { } parentProblem)
        {
            return False(parentProblem.Reason, parentProblem.Message);
        }

        if (route.RouteProblem is { } routeProblem)
        {
            return False(routeProblem.Reason, routeProblem.Message);
        }

        if (!route.HasValidRule)
        {
            return False(invalid[0].Problem!.Reason,
                $"No rule can be applied: {string.Join(" ", invalid.Select(x => x.Problem!.Message))}");
        }

        // D1: on each bound port, the route's group may hold a route type that outranks this one. Where only an HTTPRoute or
        // GRPCRoute does, a TCPRoute or TLSRoute still applies to l4 workloads' traffic (they see no L7 routes), if any can send it.
        var svc = p.Service!;
        var conflicts = new List<(string Text, bool L4Applies)>();
        foreach (var port in p.Ports)
        {
            var group = _groups[new GroupKey(svc.Key, port.Port, route.Route.Namespace)]!;
            if (group[0].Type < route.Type)
            {
                // Whether it wins among the L4 types, as an l4 client's selection has it (HTTPRoutes and GRPCRoutes filtered out).
                var l4Applies = Select(route.Route.Namespace, svc, port, l4Only: true).Applied.Contains(route);
                conflicts.Add(($"on port {port.Port} {group[0].Display} also binds and {group[0].Route.Kind} takes precedence over {route.Route.Kind}", l4Applies));
            }
        }

        var l4Only = conflicts.Where(c => c.L4Applies).Select(c => c.Text).ToList();
        var l4Workloads = l4Only.Count > 0 ? L4WorkloadsFor(route, svc) : [];
        var notApplied = conflicts.Where(c => !c.L4Applies || l4Workloads.Count == 0).Select(c => c.Text).ToList();
        var noL4Workloads = l4Only.Count > 0 && l4Workloads.Count == 0 ? NoL4WorkloadsNote(route, svc) : "";
        var ports = string.Join(", ", p.Ports.Select(Describe));
        var scope = route.Route.Namespace == svc.Namespace
            ? "a producer route: it applies to clients in every namespace that has no consumer routes for the same port"
            : $"a consumer route: it applies only to clients in namespace {route.Route.Namespace} (GEP-1294)";
        if (notApplied.Count == p.Ports.Count)
        {
            return False(RouteConditions.Conflicted,
                $"Not applied: {string.Join("; ", notApplied)} (gamma-spec D1 order: {string.Join(" > ", TypeOrder)}).{noL4Workloads} Bind the routes to different ports with parentRefs[].port, or use one route type.");
        }

        var message = $"Bound to Service {svc.Key} port(s) {ports}, as {scope}.";
        if (notApplied.Count > 0)
        {
            message += $" Not applied where another route type wins: {string.Join("; ", notApplied)} (gamma-spec D1).{noL4Workloads}";
        }

        if (l4Workloads.Count > 0)
        {
            message += $" Where an HTTPRoute or GRPCRoute wins ({string.Join("; ", l4Only)}; gamma-spec D1), applied only to traffic from l4 workloads ({L4Rule}): {ListL4Workloads(l4Workloads)}.";
        }

        message += L4WorkloadsNote(route, svc);

        return new RouteCondition(RouteConditions.Accepted, RouteConditions.True, RouteConditions.Accepted, message, generation);
    }

    private static string Describe(ServicePort p) =>
        string.IsNullOrEmpty(p.Name) ? p.Port.ToString(CultureInfo.InvariantCulture) : $"{p.Port} \"{p.Name}\"";

    // ---- A7, A8, A10: frontends ----

    private ServiceFrontend? Resolve(string clientNamespace, string host, int port, out string note)
    {
        ArgumentNullException.ThrowIfNull(clientNamespace);
        ArgumentNullException.ThrowIfNull(host);
        var h = HostName.Canonical(host);
        if (HostName.IsAddress(h))
        {
            if (_index.ServiceByClusterIP(h) is { } bySvcIp)
            {
                return ServicePortFrontend(bySvcIp, port, FrontendAddress.ClusterIP, $"{host} is the ClusterIP of Service {bySvcIp.Key} (gamma-spec A8)", out note);
            }

            return PodFrontend(h, port, out note);
        }

        var parts = h.Split('.');
        var (name, ns) = parts.Length switch
        {
            1 => (parts[0], clientNamespace),
            2 => (parts[0], parts[1]),
            3 when parts[2] == "svc" => (parts[0], parts[1]),
            > 3 when parts[2] == "svc" && string.Join('.', parts[3..]) == ClusterDomain => (parts[0], parts[1]),
            _ => (null, null),
        };
        if (name is null || ns is null)
        {
            note = $"{host} is not a ClusterIP, pod IP or Service name (svc, svc.ns, svc.ns.svc.{ClusterDomain}) known to the mesh";
            return null;
        }

        var svc = _index.Service(ns, name);
        if (svc is null)
        {
            note = $"{host} names Service {ns}/{name}, which does not exist";
            return null;
        }

        if (svc.Spec.Type == "ExternalName")
        {
            note = $"Service {svc.Key} is of type ExternalName ({svc.Spec.ExternalName}); the mesh does not route it (gamma-spec A3)";
            return null;
        }

        return ServicePortFrontend(svc, port, FrontendAddress.Name, $"{host} names Service {svc.Key} (gamma-spec A10)", out note);
    }

    private static ServiceFrontend? ServicePortFrontend(Service svc, int port, FrontendAddress by, string how, out string note)
    {
        if (MeshIndex.FindPort(svc, port) is not { } sp)
        {
            note = $"{how}, but it has no port {port} ({MeshIndex.DescribePorts(svc)})";
            return null;
        }

        note = $"{how}, port {Describe(sp)}";
        return new ServiceFrontend
        {
            AddressedBy = by,
            Namespace = svc.Namespace,
            Name = svc.Name,
            Port = port,
            Service = svc,
            ServicePort = sp,
        };
    }

    private ServiceFrontend? PodFrontend(string address, int port, out string note)
    {
        ServiceFrontend Frontend(string ns, string name, Service? svc, ServicePort? sp, string? pod) => new()
        {
            AddressedBy = FrontendAddress.PodIP,
            Namespace = ns,
            Name = name,
            Port = port,
            Service = svc,
            ServicePort = sp,
            PodAddress = address,
            Pod = pod,
        };

        // Prefer a Service that targets this pod port, in a stable order.
        Service? fallback = null;
        string? podKey = _index.PodByIP(address)?.Key;
        foreach (var (slice, ep) in _index.EndpointsAt(address))
        {
            podKey ??= MeshIndex.PodNamedBy(slice, ep) is { } named ? $"{named.Namespace}/{named.Name}" : null;
            if (_index.Service(slice.Namespace, slice.ServiceName!) is not { } svc)
            {
                continue;
            }

            fallback ??= svc;
            foreach (var sp in svc.Spec.Ports)
            {
                foreach (var e in _index.Endpoints(svc, sp))
                {
                    if (e.Port == port && string.Equals(e.Address, address, StringComparison.OrdinalIgnoreCase))
                    {
                        note = $"{address} is an endpoint of Service {svc.Key} port {Describe(sp)}: the backend facet, routes do not apply (gamma-spec A7)";
                        return Frontend(svc.Namespace, svc.Name, svc, sp, e.Pod ?? podKey);
                    }
                }
            }
        }

        if (fallback is not null || podKey is not null)
        {
            var ns = fallback?.Namespace ?? podKey![..podKey!.IndexOf('/', StringComparison.Ordinal)];
            note = $"{address} is a pod IP: the backend facet, routes do not apply (gamma-spec A7)";
            return Frontend(ns, fallback?.Name ?? "", fallback, null, podKey);
        }

        note = $"{address} is neither a ClusterIP nor a pod IP known to the mesh";
        return null;
    }

    // ---- B, C, D: selection and compilation ----

    /// <summary>
    /// The routes that apply to <paramref name="clientNamespace"/>'s traffic to a Service port. <paramref name="l4Only"/>:
    /// for an l4 client (DESIGN decision 6), for which HTTPRoutes and GRPCRoutes do not exist: the groups are filtered to
    /// TCPRoute and TLSRoute before the producer/consumer choice and D1.
    /// </summary>
    internal Selection Select(string clientNamespace, Service svc, ServicePort port, bool l4Only = false)
    {
        List<AnalyzedRoute> Group(string ns) => _groups[new GroupKey(svc.Key, port.Port, ns)] is not { } group ? []
            : l4Only ? [.. group.Where(r => r.Type is RouteType.Tcp or RouteType.Tls)] : group;
        var producer = Group(svc.Namespace);
        var consumer = clientNamespace != svc.Namespace ? Group(clientNamespace) : [];
        var at = $"{svc.Key}:{port.Port}";
        string view, reason;
        List<AnalyzedRoute> group;
        if (consumer.Count > 0)
        {
            // B3 step 2: the client namespace's consumer routes replace the producer routes entirely.
            (view, group) = (PolicyView.Consumer, consumer);
            reason = $"namespace {clientNamespace} has {consumer.Count} consumer route(s) for {at}, so producer routes are not consulted (GEP-1294)";
        }
        else if (producer.Count > 0)
        {
            (view, group) = (PolicyView.Producer, producer);
            reason = clientNamespace == svc.Namespace
                ? $"the client is in the Service's namespace {svc.Namespace}: its {producer.Count} producer route(s) for {at} apply (GEP-1294)"
                : $"namespace {clientNamespace} has no consumer routes for {at}, so the {producer.Count} producer route(s) in {svc.Namespace} apply (GEP-1294)";
        }
        else
        {
            return Selection.Empty with
            {
                ViewReason = $"no route is attached to {at}: default behaviour, traffic goes to the Service's endpoints (gamma-spec C1)",
            };
        }

        // D1: one route type per Service port within the group; groups are sorted with the winning type first.
        var winner = group[0].Type;
        var applied = group.Where(r => r.Type == winner).ToList();
        var losers = group.Where(r => r.Type != winner).ToList();
        var conflict = losers.Count == 0
            ? null
            : $"{TypeOrder[(int)winner]} wins over {string.Join(", ", losers.Select(l => l.Display))} on {at} (gamma-spec D1: {string.Join(" > ", TypeOrder)})";
        return new Selection(view, reason, producer, consumer, applied, conflict);
    }

    internal CompiledDestination Compile(string clientNamespace, ServiceFrontend frontend)
    {
        if (frontend.AddressedBy == FrontendAddress.PodIP)
        {
            // A7: traffic to a pod IP is the backend facet: no routes, straight to that endpoint. It addresses no Service,
            // so the policy and its backend name none (a Service selecting the pod lends its port's appProtocol only): the
            // metrics' dst_service and backend are empty, and no tap or stat of that Service counts the call.
            var (protocol, app) = ServiceAppProtocol.WithoutRoutes(frontend.ServicePort?.AppProtocol);
            var endpoint = _index.EndpointsAt(frontend.PodAddress!) is { Count: > 0 } eps
                ? _index.Endpoint(frontend.PodAddress!, frontend.Port, eps[0].Slice, eps[0].Endpoint)
                : _index.Endpoint(frontend.PodAddress!, frontend.Port, null, null);
            var podPolicy = new DestinationPolicy
            {
                ClientNamespace = clientNamespace,
                ServiceNamespace = frontend.Namespace,
                ServiceName = "",
                Port = frontend.Port,
                Protocol = protocol,
                View = PolicyView.None,
                DefaultBackend = new BackendPolicy
                {
                    Namespace = frontend.Namespace,
                    Name = "",
                    Port = frontend.Port,
                    AppProtocol = app,
                    Endpoints = [endpoint],
                },
            };
            return new CompiledDestination(podPolicy, Selection.Empty with
            {
                ViewReason = $"{frontend.PodAddress} is a pod IP: the backend facet, routes do not apply (gamma-spec A7)",
            }, []);
        }

        var svc = frontend.Service!;
        var sp = frontend.ServicePort!;
        var selection = Select(clientNamespace, svc, sp);
        var policy = new DestinationPolicy
        {
            ClientNamespace = clientNamespace,
            ServiceNamespace = svc.Namespace,
            ServiceName = svc.Name,
            Port = sp.Port,
            Protocol = PolicyProtocol.Opaque,
            View = selection.View,
        };
        if (selection.Applied.Count == 0)
        {
            // C1/C3: no route on this port: plain forwarding to the Service's own endpoints.
            var (protocol, app) = ServiceAppProtocol.WithoutRoutes(sp.AppProtocol);
            return new CompiledDestination(policy with
            {
                Protocol = protocol,
                DefaultBackend = ServiceBackend(svc, sp, app),
            }, selection, []);
        }

        var type = selection.Applied[0].Type;
        if (type is RouteType.Tcp or RouteType.Tls)
        {
            // K2/K3: L4 routes bind like A4; one rule each, oldest route first.
            return new CompiledDestination(policy with { Protocol = type == RouteType.Tls ? PolicyProtocol.Tls : PolicyProtocol.Tcp, L4Rules = L4Rules(selection.Applied) }, selection, []);
        }

        // E1/K1: merge every rule of every applied route into one table, flattened per match, in precedence order.
        var candidates = new List<RuleCandidate>();
        foreach (var route in selection.Applied)
        {
            foreach (var rule in route.Rules)
            {
                if (rule.Problem is not null)
                {
                    continue;
                }

                for (var j = 0; j < rule.Matches.Count; j++)
                {
                    candidates.Add(new RuleCandidate(route, rule, j));
                }
            }
        }

        candidates.Sort(type == RouteType.Grpc ? Precedence.CompareGrpc : Precedence.CompareHttp);
        var rules = new List<RulePolicy>(candidates.Count);
        foreach (var c in candidates)
        {
            rules.Add(new RulePolicy
            {
                Origin = c.Origin,
                Match = c.Match,
                Filters = c.Rule.Filters,
                Backends = c.Rule.Backends,
                Timeouts = c.Rule.Timeouts,
                Retry = c.Rule.Retry,
            });
        }

        return new CompiledDestination(policy with { Protocol = type == RouteType.Grpc ? PolicyProtocol.Grpc : PolicyProtocol.Http, Rules = rules }, selection, candidates);
    }

    /// <summary>K2/K3: one L4 rule per valid rule of the applied routes, in order.</summary>
    private static List<L4RulePolicy> L4Rules(IEnumerable<AnalyzedRoute> routes)
    {
        var l4 = new List<L4RulePolicy>();
        foreach (var route in routes)
        {
            foreach (var rule in route.Rules)
            {
                if (rule.Problem is null)
                {
                    l4.Add(new L4RulePolicy
                    {
                        Origin = new RuleCandidate(route, rule, 0).Origin,
                        Hostnames = rule.Hostnames,
                        Backends = rule.Backends,
                    });
                }
            }
        }

        return l4;
    }

    /// <summary>C1: the Service's own endpoints on <paramref name="sp"/>, with the TLS a BackendTLSPolicy asks for.</summary>
    private BackendPolicy ServiceBackend(Service svc, ServicePort sp, string app)
    {
        var tls = _index.ServiceTls(svc, sp);
        var traffic = _index.Traffic(CoreServiceRef.Kind, svc.Namespace, svc.Name);
        return new()
        {
            Namespace = svc.Namespace,
            Name = svc.Name,
            Port = sp.Port,
            AppProtocol = app,
            Endpoints = _index.Endpoints(svc, sp),
            Tls = tls?.Policy,
            Invalid = tls?.Reason,
            RetryBudget = traffic.RetryBudget,
            SessionPersistence = traffic.Session,
        };
    }
}
