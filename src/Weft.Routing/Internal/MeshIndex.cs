using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>Lookups over a snapshot: Services by key and ClusterIP, endpoints by Service and address, pods.</summary>
internal sealed class MeshIndex
{
    // Not readonly: WithServices gives a copy its own, each a LayeredMap of this one's.
    private LayeredMap<string, Service> _services;
    private LayeredMap<string, Service> _byClusterIP;
    // How many Services hold each cluster IP that two or more hold (the API server gives each its own; a local cluster's
    // manifests may not): WithServices looks at every Service only for such an address. Not readonly, as _byClusterIP.
    private Dictionary<string, int> _sharedClusterIPs = new(StringComparer.OrdinalIgnoreCase);
    // Not readonly: WithEndpoints gives a copy its own endpoints (a LayeredMap of these). Each Service's slices by their
    // namespace/name, whatever the snapshot's order, so that an update puts a changed slice in its place without looking
    // at the others.
    private LayeredMap<string, List<EndpointSlice>> _slices;
    // By (namespace, name): looked up once per endpoint, so without building a "namespace/name" string each time; and by
    // address. Not readonly: WithEndpoints gives a copy its own pods when pods changed.
    private PodMaps _pods;
    // Built when first asked for (pod IP destinations only): a large cluster has hundreds of thousands of addresses.
    private Lazy<EndpointAddresses> _endpointsByAddress;
    // What resolving a Service's endpoints from its slices reads besides them: the pods and the trust domain, shared with
    // the indexes WithEndpoints makes from this one while the pods are the same. Lazy endpoints hold it, not an index (and
    // its slices).
    private EndpointResolver _resolver;
    private static readonly IReadOnlyList<EndpointPolicy> NoEndpoints = [];
    // Shared with the indexes WithEndpoints and WithServices make from this one: an entry holds for an index whose slices
    // of that Service are the same list instance, and whose Service port the same instance, as the entry was resolved
    // from (an edited Service is a new instance, its targetPort perhaps another). A Service whose endpoints read a pod
    // that changed is given a new list, so the entries of the others hold whichever index's pods resolved them. By port
    // number and name: two ports may share a number (53 over UDP and TCP), never a name. A deleted Service's entries are
    // removed (WithServices), so that they hold no earlier slices and pods.
    private readonly ConcurrentDictionary<(string Service, int Port, string? Name), (List<EndpointSlice>? Slices, ServicePort Port, IReadOnlyList<EndpointPolicy> Endpoints)> _endpointCache = new();
    // The indexes that share _endpointCache, and which of them is the newest (each WithEndpoints and WithServices makes a
    // newer one): only the newest keeps what it resolves. An older index's readers (its model's compiles, between an
    // update and its publish or later) resolve for themselves, or a deleted Service's entry that a newer index removed
    // could be put back and hold its slices and pods for as long as the cache lives.
    private readonly Lineage _lineage = new();
    private long _generation;
    // Which Services' slices refer to each pod, shared by the lineage (it follows one of its indexes).
    private readonly SliceReferences _sliceReferences = new();
    private readonly Dictionary<string, XBackend> _xbackends = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Host, int Port), XBackend> _declared = [];
    private readonly Dictionary<string, ConfigMap> _configMaps = new(StringComparer.Ordinal);
    private readonly ILookup<string, ReferenceGrant> _grants;
    private readonly Dictionary<(string Service, string Section), BackendTlsPolicy> _tlsPolicies = [];
    private readonly ConcurrentDictionary<KubeObject, TlsOriginationResult> _tlsCompiled = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string Kind, string Key), (XBackendTrafficPolicy Policy, BackendTraffic Traffic)> _traffic = [];

    public MeshIndex(MeshSnapshot snapshot, string trustDomain)
    {
        TrustDomain = trustDomain;
        _pods = PodMaps.Of(snapshot.Pods);
        _resolver = new EndpointResolver(trustDomain, _pods);
        var services = new Dictionary<string, Service>(snapshot.Services.Count, StringComparer.Ordinal);
        var byClusterIP = new Dictionary<string, Service>(snapshot.Services.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var svc in snapshot.Services)
        {
            services[svc.Key] = svc;

            // By place, not FrontendAddresses: no iterator for each of the cluster's Services.
            for (var i = 0; i < FrontendCandidates(svc); i++)
            {
                if (FrontendAddress(svc, i) is { } ip)
                {
                    AddressClaims.Add(byClusterIP, _sharedClusterIPs, ip, svc);
                }
            }
        }

        var slices = new Dictionary<string, List<EndpointSlice>>(StringComparer.Ordinal);
        foreach (var slice in snapshot.EndpointSlices)
        {
            if (slice.ServiceKey is { } service)
            {
                AddSlice(slices, service, slice);
            }
        }

        foreach (var list in slices.Values)
        {
            if (list.Count > 1)
            {
                list.Sort(ByKey);
            }
        }

        (_services, _byClusterIP, _slices) = (new(services), new(byClusterIP), new(slices));

        _endpointsByAddress = new(() => EndpointAddresses.Of(snapshot.EndpointSlices));

        foreach (var backend in snapshot.XBackends)
        {
            _xbackends[backend.Key] = backend;
        }

        // Issue 17 (7b): the host:port each namespace's XBackends declare; of two declaring the same, the older.
        foreach (var backend in snapshot.XBackends.Order<XBackend>(Precedence.OldestFirst))
        {
            if (backend.Spec.ExternalHostname is { Length: > 0 } hostname)
            {
                _declared.TryAdd((backend.Namespace, HostName.Canonical(hostname), backend.Spec.Port.Port), backend);
            }
        }

        foreach (var map in snapshot.ConfigMaps)
        {
            _configMaps[map.Key] = map;
        }

        _grants = snapshot.ReferenceGrants.ToLookup(g => g.Namespace, StringComparer.Ordinal);

        // GEP-3388 gives no rule for two XBackendTrafficPolicies on one backend; Weft takes BackendTLSPolicy's (the oldest,
        // then the first by namespace/name). A budget is compiled once here.
        foreach (var policy in snapshot.BackendTrafficPolicies.Order<XBackendTrafficPolicy>(Precedence.OldestFirst))
        {
            foreach (var target in policy.Spec.TargetRefs)
            {
                if (TrafficTargetKind(target) is { } kind)
                {
                    _traffic.TryAdd((kind, $"{policy.Namespace}/{target.Name}"), (policy, new BackendTraffic(RetryBudgetOf(policy), SessionOf(policy, target.Name))));
                }
            }
        }

        // GEP-1897: of the policies on one Service (and section), the oldest wins, then the first by namespace/name.
        foreach (var policy in snapshot.BackendTlsPolicies.Order<BackendTlsPolicy>(Precedence.OldestFirst))
        {
            foreach (var target in policy.Spec.TargetRefs.Where(t => CoreServiceRef.Is(t.Group, t.Kind)))
            {
                _tlsPolicies.TryAdd(($"{policy.Namespace}/{target.Name}", target.SectionName ?? ""), policy);
            }
        }
    }

    public string TrustDomain { get; }

    public Service? Service(string ns, string name)
    {
        // The key written on the stack, not as a string: routes, parents and policies look Services up by name many times.
        var length = ns.Length + 1 + name.Length;
        if (length > 256)
        {
            return Service($"{ns}/{name}");
        }

        Span<char> key = stackalloc char[length];
        ns.CopyTo(key);
        key[ns.Length] = '/';
        name.CopyTo(key[(ns.Length + 1)..]);
        return _services.Find<ReadOnlySpan<char>>(key);
    }

    /// <summary>The Service of key <paramref name="key"/> (namespace/name), or null.</summary>
    public Service? Service(string key) => _services[key];

    public Service? ServiceByClusterIP(string ip) => _byClusterIP[ip];

    public Pod? Pod(string ns, string name) => _pods.ByName(ns ?? "", name);

    /// <summary>The pod of key "namespace/name" (an endpoint's <c>Pod</c>, a caller's pod), or null.</summary>
    public Pod? PodByKey(string? key) =>
        key?.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash ? Pod(key[..slash], key[(slash + 1)..]) : null;

    public XBackend? XBackend(string ns, string name) => _xbackends.GetValueOrDefault($"{ns}/{name}");

    /// <summary>The XBackend of namespace <paramref name="ns"/> whose external host and port are <paramref name="host"/>:<paramref name="port"/> (the oldest of several), or null.</summary>
    public XBackend? DeclaredXBackend(string ns, string host, int port) =>
        _declared.GetValueOrDefault((ns, HostName.Canonical(host), port));

    public ConfigMap? ConfigMap(string ns, string name) => _configMaps.GetValueOrDefault($"{ns}/{name}");

    /// <summary>The retry budget and session persistence an XBackendTrafficPolicy gives backend <paramref name="kind"/> (Service or XBackend) <paramref name="ns"/>/<paramref name="name"/>.</summary>
    public BackendTraffic Traffic(string kind, string ns, string name) =>
        _traffic.TryGetValue((kind, $"{ns}/{name}"), out var won) ? won.Traffic : BackendTraffic.None;

    /// <summary>The XBackendTrafficPolicy that won backend <paramref name="kind"/> <paramref name="ns"/>/<paramref name="name"/>, or null (for status: the others are Conflicted).</summary>
    public XBackendTrafficPolicy? TrafficPolicy(string kind, string ns, string name) =>
        _traffic.TryGetValue((kind, $"{ns}/{name}"), out var won) ? won.Policy : null;

    /// <summary>The kind of backend an XBackendTrafficPolicy targetRef names (Service or XBackend), or null for a kind it cannot target.</summary>
    public static string? TrafficTargetKind(PolicyTargetReference target) =>
        CoreServiceRef.Is(target.Group, target.Kind) ? CoreServiceRef.Kind
        : ExternalBackends.IsRef(target.Group, target.Kind) ? Weft.Api.Model.XBackend.KindName
        : null;

    /// <summary>
    /// GEP-1619 for a backend: the cookie (or header) named by <c>sessionName</c>, by default one per backend
    /// (<c>weft-NAMESPACE-NAME</c>: the name is implementation-specific); a Permanent cookie lasts <c>absoluteTimeout</c>.
    /// </summary>
    private static SessionPersistencePolicy? SessionOf(XBackendTrafficPolicy policy, string target)
    {
        if (policy.Spec.SessionPersistence is not { } session)
        {
            return null;
        }

        TimeSpan? timeout = session.AbsoluteTimeout is { } text && GatewayDuration.TryParse(text, out var parsed) && parsed > TimeSpan.Zero ? parsed : null;
        return new SessionPersistencePolicy
        {
            Type = session.Type == SessionPersistenceType.Header ? SessionPersistencePolicy.Header : SessionPersistencePolicy.Cookie,
            Name = string.IsNullOrEmpty(session.SessionName) ? $"weft-{policy.Namespace}-{target}" : session.SessionName,
            AbsoluteTimeout = timeout,
            Permanent = session.CookieLifetimeType == CookieLifetimeType.Permanent && timeout is not null,
            Source = $"{XBackendTrafficPolicy.KindName} {policy.Key}",
        };
    }

    private static RetryBudgetPolicy? RetryBudgetOf(XBackendTrafficPolicy policy)
    {
        // The API server has applied the CRD's defaults and bounds (the validator does the same for manifests).
        if (policy.Spec.RetryConstraint is not { } constraint
            || !GatewayDuration.TryParse(constraint.Budget.Interval, out var interval)
            || !GatewayDuration.TryParse(constraint.MinRetryRate.Interval ?? RetryRate.DefaultInterval, out var minInterval)
            || interval <= TimeSpan.Zero || minInterval <= TimeSpan.Zero)
        {
            return null;
        }

        return new RetryBudgetPolicy
        {
            Percent = constraint.Budget.Percent,
            Interval = interval,
            MinRetryCount = constraint.MinRetryRate.Count ?? RetryRate.DefaultCount,
            MinRetryInterval = minInterval,
            Source = $"{XBackendTrafficPolicy.KindName} {policy.Key}",
        };
    }

    /// <summary>
    /// The TLS a BackendTLSPolicy asks the client's proxy to originate to <paramref name="svc"/>'s endpoints on
    /// <paramref name="port"/>: the winning policy that names the port (sectionName), else the winning one for the whole
    /// Service; null when none targets it. A policy that cannot be honoured (its CA bundle) gives a reason instead.
    /// </summary>
    public TlsOriginationResult? ServiceTls(Service svc, ServicePort port)
    {
        var policy = (!string.IsNullOrEmpty(port.Name) ? TlsPolicy(svc.Key, port.Name) : null) ?? TlsPolicy(svc.Key, "");
        return policy is null ? null : Tls(policy, policy.Spec.Validation);
    }

    /// <summary>
    /// The BackendTLSPolicy that won Service <paramref name="serviceKey"/> ("ns/name") for <paramref name="section"/> (a
    /// port name; "" for the whole Service), or null (for status: the others there are Conflicted).
    /// </summary>
    public BackendTlsPolicy? TlsPolicy(string serviceKey, string section) => _tlsPolicies.GetValueOrDefault((serviceKey, section));

    /// <summary>
    /// The <c>validation</c> of <paramref name="owner"/> (a BackendTLSPolicy, or an XBackend's <c>tls</c>) compiled, its
    /// CA bundles read, once per model: routes, the Services' own backends and status all read this one result.
    /// </summary>
    public TlsOriginationResult Tls(KubeObject owner, BackendTlsValidation validation) => _tlsCompiled.GetOrAdd(owner, static (o, state) =>
        TlsOrigination.From(state.Index, o.Namespace, state.Validation, $"{o.Kind} {o.Key}"), (Index: this, Validation: validation));

    /// <summary>
    /// gamma-spec F7: whether a ReferenceGrant in <paramref name="toNamespace"/> lets objects of kind
    /// <paramref name="fromKind"/> (group <paramref name="fromGroup"/>) in <paramref name="fromNamespace"/> refer to the
    /// object <paramref name="toGroup"/>/<paramref name="toKind"/> <paramref name="toName"/> (a grant without a name covers
    /// every object of the kind). Entries are ORed; a removed grant no longer counts.
    /// </summary>
    public bool Granted(string fromGroup, string fromKind, string fromNamespace, string toGroup, string toKind, string toNamespace, string toName) =>
        _grants[toNamespace].Any(g =>
            g.From.Any(f => f.Group == fromGroup && f.Kind == fromKind && f.Namespace == fromNamespace)
            && g.To.Any(t => t.Group == toGroup && t.Kind == toKind && (string.IsNullOrEmpty(t.Name) || t.Name == toName)));

    public Pod? PodByIP(string ip) => _pods.ByAddress(ip);

    public IReadOnlyList<(EndpointSlice Slice, Endpoint Endpoint)> EndpointsAt(string address) =>
        _endpointsByAddress.Value.At(address);

    /// <summary>
    /// This index with <paramref name="snapshot"/>'s EndpointSlices and Pods, when the slices differ from this index's
    /// snapshot's by <paramref name="gone"/> (of this index's snapshot) and <paramref name="added"/> (of
    /// <paramref name="snapshot"/>), the pods by <paramref name="pods"/>, and every other list is the same.
    /// <paramref name="changed"/> (namespace/name) names the Services that own a gone or added slice, and every Service with a
    /// slice that refers to one of those pods (<see cref="AddServicesOf"/>): each gets a new list of slices, so
    /// that what was resolved from the old one is not read again. What does not depend on endpoints is shared, and the
    /// endpoints of the other Services are kept as resolved.
    /// </summary>
    public MeshIndex WithEndpoints(MeshSnapshot snapshot, IReadOnlySet<string> changed, IReadOnlyList<EndpointSlice> gone, IReadOnlyList<EndpointSlice> added, PodChanges? pods)
    {
        var next = (MeshIndex)MemberwiseClone();
        next._generation = _lineage.Next();
        _sliceReferences.Advance(_generation, next._generation, [.. added], gone.Count);
        if (pods is not null)
        {
            next._pods = _pods.With(pods.Gone, pods.Added, snapshot.Pods);
            next._resolver = new EndpointResolver(TrustDomain, next._pods);
        }

        // Each changed Service's slices: a new list, its old one without the gone and with the added ones (a slice moved in
        // the list is both), in their order, or none; not a look at every slice of the cluster.
        var slices = new Dictionary<string, List<EndpointSlice>?>(changed.Count, StringComparer.Ordinal);
        var goneSet = new HashSet<EndpointSlice>(gone, ReferenceEqualityComparer.Instance);
        foreach (var key in changed)
        {
            if (_slices[key] is { } before)
            {
                List<EndpointSlice> kept = [.. before.Where(slice => !goneSet.Contains(slice))];
                slices[key] = kept.Count > 0 ? kept : null;
            }
        }

        var grown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in added)
        {
            if (slice.ServiceKey is { } service && changed.Contains(service))
            {
                if (slices.GetValueOrDefault(service) is not { } list)
                {
                    slices[service] = list = [];
                }

                list.Add(slice);
                grown.Add(service);
            }
        }

        foreach (var service in grown)
        {
            slices[service]!.Sort(ByKey);
        }

        next._slices = _slices.With(slices);

        // From this index's map when it was made (a pod-IP destination read it), with only the changed slices' addresses.
        var byAddress = _endpointsByAddress;
        next._endpointsByAddress = byAddress.IsValueCreated
            ? new(() => byAddress.Value.With(gone, added))
            : new(() => EndpointAddresses.Of(snapshot.EndpointSlices));
        return next;
    }

    /// <summary>
    /// Adds to <paramref name="services"/> (namespace/name) every Service whose slices among this index's
    /// (<paramref name="slices"/>) may refer to one of <paramref name="pods"/> (by name or address), looked up in the
    /// lineage's <see cref="SliceReferences"/>, not found by looking at every slice and endpoint. (The Services of the
    /// slices an update adds are among those it moves already.)
    /// </summary>
    public void AddServicesOf(PodChanges pods, IReadOnlyList<EndpointSlice> slices, HashSet<string> services)
    {
        if (pods.Names.Count > 0 || pods.Addresses.Count > 0)
        {
            _sliceReferences.AddServicesOf(_generation, slices, pods, services);
        }
    }

    /// <summary>
    /// The pod an endpoint names: its targetRef when it is of kind Pod (or of no kind), in the slice's namespace unless the
    /// reference names one; null when it names none. The one way an endpoint is read for its pod by name.
    /// </summary>
    public static (string Namespace, string Name)? PodNamedBy(EndpointSlice? slice, Endpoint? ep) =>
        ep?.TargetRef is { Name: { } name } target && (target.Kind is null or "Pod") ? (target.Namespace ?? slice?.Namespace ?? "", name) : null;

    /// <summary>
    /// The order the model keeps objects of one kind in, whatever the snapshot's: by namespace/name (as the store lists
    /// them), which a snapshot names once each. A Service's slices, the slices holding an address, the l4 workloads.
    /// </summary>
    internal static int ByKey(KubeObject a, KubeObject b) => string.CompareOrdinal(a.Key, b.Key);

    /// <summary>
    /// This index with <paramref name="services"/> (a snapshot's), when only the Services in <paramref name="gone"/>
    /// (of this index's snapshot) and <paramref name="added"/> (of <paramref name="services"/>) differ: edited, created,
    /// deleted or moved in the list; every other list is the same. What does not depend on Services is shared; by cluster
    /// IP the first Service of the list holding an address still wins, as when an index is built.
    /// <paramref name="addresses"/>: every cluster IP a changed Service held or holds (whose Service may now be another).
    /// </summary>
    public MeshIndex WithServices(IReadOnlyList<Service> services, IReadOnlyList<Service> gone, IReadOnlyList<Service> added, out IReadOnlySet<string> addresses)
    {
        var next = (MeshIndex)MemberwiseClone();
        next._generation = _lineage.Next();
        _sliceReferences.Advance(_generation, next._generation, [], 0);
        var byKey = new Dictionary<string, Service?>(gone.Count + added.Count, StringComparer.Ordinal);
        foreach (var svc in gone)
        {
            var key = svc.Key;
            byKey[key] = null;
            foreach (var port in svc.Spec.Ports)
            {
                // The previous index's readers resolve them again if they ask.
                _endpointCache.TryRemove((key, port.Port, port.Name), out _);
            }
        }

        foreach (var svc in added)
        {
            byKey[svc.Key] = svc;
        }

        // Each address a changed Service held or holds goes to the first Service of the new list that holds it.
        var changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var byClusterIP = new Dictionary<string, Service?>(StringComparer.OrdinalIgnoreCase);
        var search = AddressClaims.Update(
            gone, added, FrontendAddresses, ip => _byClusterIP[ip] is not null, ref next._sharedClusterIPs,
            (ip, holder) => byClusterIP[ip] = holder, changed);

        if (search is not null)
        {
            foreach (var svc in services)
            {
                foreach (var ip in FrontendAddresses(svc))
                {
                    if (search.Remove(ip))
                    {
                        byClusterIP[ip] = svc;
                    }
                }

                if (search.Count == 0)
                {
                    break;
                }
            }
        }

        next._services = _services.With(byKey);
        next._byClusterIP = _byClusterIP.With(byClusterIP);
        addresses = changed;
        return next;
    }

    /// <summary>Each of <paramref name="svc"/>'s frontend addresses (<see cref="FrontendAddress"/>), once.</summary>
    private static IEnumerable<string> FrontendAddresses(Service svc)
    {
        for (var i = 0; i < FrontendCandidates(svc); i++)
        {
            if (FrontendAddress(svc, i) is { } ip)
            {
                yield return ip;
            }
        }
    }

    /// <summary>How many places <see cref="FrontendAddress"/> looks at for <paramref name="svc"/>: none when it is headless or ExternalName.</summary>
    private static int FrontendCandidates(Service svc) =>
        svc.Spec.Type == "ExternalName" || svc.IsHeadless ? 0 : svc.Spec.ClusterIPs.Count + 1;

    /// <summary>
    /// gamma-spec A8: <paramref name="svc"/>'s <paramref name="i"/>th frontend address (its cluster IPs, then its cluster
    /// IP), or null when that place holds none or one already given at an earlier place.
    /// </summary>
    private static string? FrontendAddress(Service svc, int i)
    {
        var ips = svc.Spec.ClusterIPs;
        var ip = i < ips.Count ? ips[i] : svc.Spec.ClusterIP;
        if (string.IsNullOrEmpty(ip) || ip == "None")
        {
            return null;
        }

        for (var k = 0; k < i; k++)
        {
            if (string.Equals(ips[k], ip, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return ip;
    }

    private static void AddSlice(Dictionary<string, List<EndpointSlice>> slices, string service, EndpointSlice slice)
    {
        if (!slices.TryGetValue(service, out var list))
        {
            slices[service] = list = [];
        }

        list.Add(slice);
    }

    /// <summary>"80 "http", 7070 "grpc"": a Service's ports, for messages.</summary>
    public static string DescribePorts(Service svc)
    {
        if (svc.Spec.Ports.Count == 0)
        {
            return "it has no ports";
        }

        var sb = new StringBuilder();
        foreach (var p in svc.Spec.Ports)
        {
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }

            sb.Append(p.Port.ToString(CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(p.Name))
            {
                sb.Append(" \"").Append(p.Name).Append('"');
            }
        }

        return sb.ToString();
    }

    public static ServicePort? FindPort(Service svc, int port)
    {
        // By index: a foreach over the interface would allocate an enumerator for each of the many look-ups.
        var ports = svc.Spec.Ports;
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i].Port == port)
            {
                return ports[i];
            }
        }

        return null;
    }

    /// <summary>The SPIFFE identity of a pod's service account (DESIGN decision 4).</summary>
    public string Identity(Pod pod) => _resolver.Identity(pod);

    /// <summary>
    /// The ready endpoints of a Service port (gamma-spec F1): from the EndpointSlices labelled kubernetes.io/service-name,
    /// ready unless conditions.ready is false, port resolved through the Service port's targetPort. Sorted, deduplicated.
    /// </summary>
    public IReadOnlyList<EndpointPolicy> Endpoints(Service svc, ServicePort port) =>
        Endpoints(svc, port, _slices[svc.Key]);

    private IReadOnlyList<EndpointPolicy> Endpoints(Service svc, ServicePort port, List<EndpointSlice>? slices)
    {
        var key = (svc.Key, port.Port, port.Name);
        while (true)
        {
            var found = _endpointCache.TryGetValue(key, out var cached);
            if (found && ReferenceEquals(cached.Slices, slices) && ReferenceEquals(cached.Port, port))
            {
                return cached.Endpoints;
            }

            // From this index's slices, resolved when first read (issue 18: resolving every Service's endpoints was 45% of
            // a 10k cluster's first model, and most are never sent). The newest index replaces the entry another index
            // holds (other slices), and a race with another resolution of the same slices leaves one instance that both
            // return; an older index returns its own each time.
            var resolved = (slices, port, slices is null ? NoEndpoints : (IReadOnlyList<EndpointPolicy>)new LazyEndpoints(_resolver, port, slices));
            if (!IsNewest)
            {
                return resolved.Item3;
            }

            if (found ? _endpointCache.TryUpdate(key, resolved, cached) : _endpointCache.TryAdd(key, resolved))
            {
                if (!IsNewest)
                {
                    // A newer index came meanwhile, and may have removed the key before this put it back. (An equal
                    // entry the newer index made itself, of no slices, may go too: it is resolved again when asked.)
                    _endpointCache.TryRemove(KeyValuePair.Create(key, resolved));
                }

                return resolved.Item3;
            }
        }
    }

    private bool IsNewest => Volatile.Read(ref _lineage.Newest) == _generation;

    /// <summary>
    /// Makes this index the newest of those sharing its endpoint cache again: the model built from it was given up
    /// (its update failed), and this one's model is still the one served.
    /// </summary>
    internal void Reclaim() => Interlocked.Exchange(ref _lineage.Newest, _generation);

    /// <summary>Whether the shared endpoint cache holds an entry of <paramref name="service"/> (namespace/name; tests).</summary>
    internal bool CachesEndpointsOf(string service) => _endpointCache.Keys.Any(k => k.Service == service);

    public EndpointPolicy Endpoint(string address, int port, EndpointSlice? slice, Endpoint? endpoint) => _resolver.Endpoint(address, port, slice, endpoint);

    /// <summary>The generations of the indexes that share an endpoint cache: the last given out, and the newest's.</summary>
    private sealed class Lineage
    {
        private long _last;

        public long Newest;

        /// <summary>A generation no index of the lineage had, made the newest.</summary>
        public long Next()
        {
            var generation = Interlocked.Increment(ref _last);
            Interlocked.Exchange(ref Newest, generation);
            return generation;
        }
    }

    /// <summary>Resolves endpoints from slices: what it reads besides them, the pods (by name and by IP) and the trust domain.</summary>
    private sealed class EndpointResolver(string trustDomain, PodMaps pods)
    {
        public string Identity(Pod pod) => $"spiffe://{trustDomain}/ns/{pod.Namespace}/sa/{pod.ServiceAccount}";

        public EndpointPolicy Endpoint(string address, int port, EndpointSlice? slice, Endpoint? endpoint)
        {
            var pod = PodOf(slice, endpoint) ?? pods.ByAddress(address);
            string? podKey = PodNamedBy(slice, endpoint) is { } named ? $"{named.Namespace}/{named.Name}" : pod?.Key;
            return new EndpointPolicy
            {
                Address = address,
                Port = port,
                Pod = podKey,
                // A pod without a sidecar (weft.dev/mesh: off) has no identity: meshed clients reach it in plaintext. So
                // does its sidecar's admin port, which is not behind the sidecar (never captured; its inbound refuses to
                // forward to its own ports): a meshed Prometheus scrapes /metrics there directly, as Linkerd's skipped ports.
                // That pod's own admin port only (MeshPorts.AdminOf): 15000 of a pod whose sidecar listens elsewhere is the
                // app's, reached over mTLS like any other.
                Identity = pod is null || MeshLevels.Of(pod) == MeshLevels.Off || port == MeshPorts.AdminOf(pod) ? null : Identity(pod),
                Workload = pod is null ? null : WorkloadName.Of(pod),
            };
        }

        /// <summary>A Service port's ready endpoints in <paramref name="slices"/> (its slices), by address then port.</summary>
        public List<EndpointPolicy> Resolve(ServicePort port, List<EndpointSlice> slices)
        {
            var result = new List<EndpointPolicy>();
            var total = 0;
            foreach (var slice in slices)
            {
                total += slice.Endpoints.Count;
            }

            result.Capacity = total;
            var seen = new HashSet<(string, int)>(total);
            foreach (var slice in slices)
            {
                if (slice.AddressType is not ("IPv4" or "IPv6"))
                {
                    continue;
                }

                foreach (var ep in slice.Endpoints)
                {
                    if (ep.Conditions.Ready == false)
                    {
                        continue;
                    }

                    if (ResolveTargetPort(slice, port, ep) is not { } target)
                    {
                        continue;
                    }

                    foreach (var address in ep.Addresses)
                    {
                        if (seen.Add((address, target)))
                        {
                            result.Add(Endpoint(address, target, slice, ep));
                        }
                    }
                }
            }

            result.Sort(static (a, b) =>
            {
                var c = string.CompareOrdinal(a.Address, b.Address);
                return c != 0 ? c : a.Port.CompareTo(b.Port);
            });
            return result;
        }

        /// <summary>
        /// Kubernetes names each slice port after the Service port it serves and gives it the resolved container port; when a
        /// slice has no such entry, use a numeric targetPort, or look a named targetPort up in the slice's and the pod's ports.
        /// </summary>
        private int? ResolveTargetPort(EndpointSlice slice, ServicePort port, Endpoint ep)
        {
            foreach (var sp in slice.Ports)
            {
                if (sp.Port is { } n && string.Equals(sp.Name ?? "", port.Name ?? "", StringComparison.Ordinal))
                {
                    return n;
                }
            }

            var target = port.TargetPort;
            if (target.Number is { } number)
            {
                return number;
            }

            if (target.Text is not { Length: > 0 } name)
            {
                return port.Port;
            }

            foreach (var sp in slice.Ports)
            {
                if (sp.Port is { } n && sp.Name == name)
                {
                    return n;
                }
            }

            var pod = PodOf(slice, ep);
            if (pod is not null)
            {
                foreach (var c in pod.Spec.Containers)
                {
                    foreach (var cp in c.Ports)
                    {
                        if (cp.Name == name)
                        {
                            return cp.Port;
                        }
                    }
                }
            }

            return null;
        }

        private Pod? PodOf(EndpointSlice? slice, Endpoint? ep)
        {
            if (PodNamedBy(slice, ep) is { } named && pods.ByName(named.Namespace, named.Name) is { } pod)
            {
                return pod;
            }

            if (ep is not null)
            {
                foreach (var a in ep.Addresses)
                {
                    if (pods.ByAddress(a) is { } byIp)
                    {
                        return byIp;
                    }
                }
            }

            return null;
        }
    }

    /// <summary>
    /// A Service port's endpoints, resolved from its slices when first read and then kept; what it captured to resolve them
    /// is let go of then. One instance per (Service, port, slices), as the resolved list was, so reference equality between
    /// policies of one model and the next holds as before.
    /// </summary>
    private sealed class LazyEndpoints(EndpointResolver resolver, ServicePort port, List<EndpointSlice> slices) : IReadOnlyList<EndpointPolicy>
    {
        private readonly Lock _gate = new();
        private (EndpointResolver Resolver, ServicePort Port, List<EndpointSlice> Slices)? _source = (resolver, port, slices);
        private List<EndpointPolicy>? _resolved;

        public int Count => Resolved.Count;

        public EndpointPolicy this[int index] => Resolved[index];

        public IEnumerator<EndpointPolicy> GetEnumerator() => Resolved.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private List<EndpointPolicy> Resolved
        {
            get
            {
                if (Volatile.Read(ref _resolved) is { } done)
                {
                    return done;
                }

                lock (_gate)
                {
                    if (_resolved is null)
                    {
                        var (endpoints, servicePort, list) = _source!.Value;
                        Volatile.Write(ref _resolved, endpoints.Resolve(servicePort, list));
                        _source = null;
                    }

                    return _resolved!;
                }
            }
        }
    }
}

/// <summary>
/// The pods that differ between two snapshots (gone or added, by instance), as an index looks pods up: by (namespace,
/// name) and by address.
/// </summary>
internal sealed class PodChanges
{
    public PodChanges(IReadOnlyList<Pod> gone, IReadOnlyList<Pod> added)
    {
        Gone = gone;
        Added = added;
        foreach (var pod in gone.Concat(added))
        {
            if (pod.Namespace is { } ns)
            {
                Names.Add((ns, pod.Name));
            }

            if (!string.IsNullOrEmpty(pod.PodIP))
            {
                Addresses.Add(pod.PodIP);
            }
        }
    }

    /// <summary>The pods of the snapshot before that the one after does not hold (by instance), in the list's order.</summary>
    public IReadOnlyList<Pod> Gone { get; }

    /// <summary>The pods of the snapshot after that the one before does not hold (by instance), in the list's order.</summary>
    public IReadOnlyList<Pod> Added { get; }

    public HashSet<(string Namespace, string Name)> Names { get; } = [];

    public HashSet<string> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>What an XBackendTrafficPolicy gives one backend: its retry budget and its session persistence, each optional.</summary>
internal sealed record BackendTraffic(RetryBudgetPolicy? RetryBudget, SessionPersistencePolicy? Session)
{
    public static readonly BackendTraffic None = new(null, null);
}
