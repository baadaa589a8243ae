using System.Collections.Concurrent;
using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Internal;
using Weft.Routing.Matching;

namespace Weft.Routing;

/// <summary>
/// Issue 14 on the compile side: each workload's inbound policy, and each AuthorizationPolicy's status. A targetRef
/// resolves to pods once per model (<see cref="AuthorizationTargets"/>, kept from the model before in the namespaces a
/// change did not touch); status and compile read that one resolution.
/// </summary>
public sealed partial class MeshModel
{
    private readonly ConcurrentDictionary<(string Namespace, string Pod), CompiledInbound> _inbound = new();
    private AuthorizationTargets? _authorizationTargets;

    /// <summary>
    /// What pod <paramref name="podNamespace"/>/<paramref name="podName"/> admits: its default inbound policy (pod, then
    /// namespace, then <see cref="DefaultInboundPolicy"/>) and the AuthorizationPolicies that apply to it. Null when the
    /// pod is not in the snapshot.
    /// </summary>
    /// <remarks>The same instance is returned for the same arguments on this model; equal inputs give equal JSON.</remarks>
    public InboundPolicy? CompileInbound(string podNamespace, string podName)
    {
        ArgumentNullException.ThrowIfNull(podNamespace);
        ArgumentNullException.ThrowIfNull(podName);
        return Inbound(podNamespace, podName).Policy;
    }

    /// <summary>One entry per AuthorizationPolicy, in snapshot order: its conditions per targetRef.</summary>
    public IReadOnlyList<AuthorizationPolicyStatus> AuthorizationStatuses => Targets.Statuses;

    /// <summary>The SPIFFE ID a pod's sidecar is issued (DESIGN decision 4): its service account's, in this model's trust domain.</summary>
    public string IdentityOf(Weft.Api.Model.Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return _index.Identity(pod);
    }

    /// <summary>
    /// For <c>weft explain</c>: what pod <paramref name="podNamespace"/>/<paramref name="podName"/>'s sidecar would decide
    /// for <paramref name="request"/>, by the policy <see cref="CompileInbound"/> gives it and <see cref="AuthorizationPlanner"/>
    /// (the sidecar's own decision, not a second evaluation). Null when the pod is not in the snapshot.
    /// </summary>
    /// <exception cref="RouteTableException">The pod's inbound policy does not compile (its sidecar would NACK it).</exception>
    public AuthorizationDecision? ExplainAuthorization(
        string podNamespace, string podName, in AuthorizationRequest request, IHeaderLookup headers)
    {
        ArgumentNullException.ThrowIfNull(podNamespace);
        ArgumentNullException.ThrowIfNull(podName);
        ArgumentNullException.ThrowIfNull(headers);
        var entry = Inbound(podNamespace, podName);
        if (entry.Policy is null)
        {
            return null;
        }

        entry.Table ??= AuthorizationTable.Build(entry.Policy);
        return AuthorizationPlanner.Decide(entry.Table, request, headers);
    }

    private AuthorizationTargets Targets
    {
        get
        {
            var targets = Volatile.Read(ref _authorizationTargets);
            if (targets is null)
            {
                var built = AuthorizationTargets.Resolve(_snapshot, _index, ControllerName, RouteNamed, RouteRulesOf);
                targets = Interlocked.CompareExchange(ref _authorizationTargets, built, null) ?? built;
            }

            return targets;
        }
    }

    /// <summary>The route of a kind, namespace and name, as <see cref="StatusOf"/> finds it (<see cref="_routesByName"/>).</summary>
    private Route? RouteNamed(string kind, string ns, string name) => _routesByName[(kind, ns, name)];

    /// <summary>A route's analysed rules (their matches as the route planners read them), empty for a route not analysed.</summary>
    private IReadOnlyList<Internal.AnalyzedRule> RouteRulesOf(Route route) =>
        _analyzedByRoute[route] is { } analyzed ? analyzed.Route.Rules : [];

    /// <summary>
    /// Whether every pod's inbound policy on <paramref name="snapshot"/> is what it was on <paramref name="previous"/> (a
    /// model made from it by <see cref="Update"/>: same trust domain and default inbound policy): the pods, namespaces and AuthorizationPolicies are the same instances (nothing in an inbound policy reads ServiceAccount objects), and either there is no
    /// AuthorizationPolicy (a policy's targets resolve through Services, their endpoints and routes) or those are the same
    /// too (<paramref name="reuse"/>: the index is the previous model's; and the same routes).
    /// With AuthorizationPolicies, <see cref="CarriedTargets"/> keeps those of the pods in the namespaces a change did not touch.
    /// </summary>
    private static bool SameInboundInputs(MeshModel previous, MeshSnapshot snapshot, bool reuse) =>
        SameInstances(previous._snapshot.Pods, snapshot.Pods)
        && SameInstances(previous._snapshot.Namespaces, snapshot.Namespaces)
        && SameInstances(previous._snapshot.AuthorizationPolicies, snapshot.AuthorizationPolicies)
        && (snapshot.AuthorizationPolicies.Count == 0 || (reuse && SameInstances(previous._snapshot.Routes, snapshot.Routes)));

    /// <summary>
    /// Whether, on <paramref name="snapshot"/> whose pods differ from <paramref name="previous"/>'s (a model made from it by
    /// <see cref="Update"/>), the inbound policy of every pod that did not change is what it was: with no
    /// AuthorizationPolicy on either side a pod's inbound policy reads only the pod itself and its namespace (and this
    /// model's trust domain and default, which an update keeps).
    /// </summary>
    private static bool SameInboundInputsButPods(MeshModel previous, MeshSnapshot snapshot) =>
        SameInstances(previous._snapshot.Namespaces, snapshot.Namespaces)
        && previous._snapshot.AuthorizationPolicies.Count == 0
        && snapshot.AuthorizationPolicies.Count == 0;

    /// <summary>
    /// <paramref name="previous"/>'s resolution of the AuthorizationPolicies' targets (<see cref="AuthorizationTargets"/>),
    /// when it resolved them, on <paramref name="snapshot"/> (a model made from it by <see cref="Update"/>, its index the
    /// previous one's with at most <paramref name="moved"/> Services changed or their endpoints moved, and its pods changed
    /// by <paramref name="pods"/>, or the same when null): resolved again in the namespaces a change touched, those of a
    /// policy or pod that changed, of a Service in <paramref name="moved"/> that a resolution reads, and of a route a
    /// resolution names that changed or is analysed anew; kept in the others (targets never cross namespaces). Null when
    /// the previous model had not resolved them (they are resolved when asked for). <paramref name="touched"/>: the
    /// namespaces all of whose pods' inbound policies are compiled again: those resolved again that have or had a policy,
    /// and those whose Namespace object changed (a changed pod's is compiled again by name). Without it, any
    /// change of a Service, endpoints or a route made every pod's inbound policy compile again (issue 18: at 50k, with an
    /// AuthorizationPolicy per namespace, 28-361 ms per change for the 5,000 subscribed pods), and any change of a pod did
    /// until this (55-108 ms).
    /// </summary>
    private AuthorizationTargets? CarriedTargets(MeshModel previous, MeshSnapshot snapshot, HashSet<string>? moved, PodChanges? pods, out HashSet<string>? touched)
    {
        touched = null;

        // (An incremental update has its pods' changes whenever the pods differ; the second test only guards that.)
        if (Volatile.Read(ref previous._authorizationTargets) is not { } targets
            || (pods is null && !SameInstances(previous._snapshot.Pods, snapshot.Pods)))
        {
            return null;
        }

        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        var samePolicies = SameInstances(previous._snapshot.AuthorizationPolicies, snapshot.AuthorizationPolicies);
        if (!samePolicies)
        {
            var (gone, added) = Changed(previous._snapshot.AuthorizationPolicies, snapshot.AuthorizationPolicies);
            namespaces.UnionWith(gone.Concat(added).Select(p => p.Namespace));
        }

        foreach (var pod in pods is null ? [] : pods.Gone.Concat(pods.Added))
        {
            namespaces.Add(pod.Namespace);
        }

        foreach (var service in moved ?? [])
        {
            if (targets.ReadsService(service))
            {
                namespaces.Add(service[..service.IndexOf('/', StringComparison.Ordinal)]);
            }
        }

        foreach (var name in targets.RoutesRead)
        {
            var (before, now) = (previous._routesByName[name], _routesByName[name]);
            if (!ReferenceEquals(before, now) || (now is not null && !ReferenceEquals(previous._analyzedByRoute[now], _analyzedByRoute[now])))
            {
                namespaces.Add(name.Namespace);
            }
        }

        var carried = namespaces.Count == 0 && samePolicies
            ? targets
            : targets.With(snapshot, namespaces, pods, _index, ControllerName, RouteNamed, RouteRulesOf);

        // The pods of a namespace without a policy on either side have no entries (a changed pod's is compiled again by
        // name); a pod's inbound policy reads its namespace object too (its default policy), which no target does.
        namespaces.RemoveWhere(ns => targets.Of(ns) is null && carried.Of(ns) is null);
        if (!SameInstances(previous._snapshot.Namespaces, snapshot.Namespaces))
        {
            var (gone, added) = Changed(previous._snapshot.Namespaces, snapshot.Namespaces);
            namespaces.UnionWith(gone.Concat(added).Select(n => n.Name));
        }

        touched = namespaces;
        return carried;
    }

    /// <summary>
    /// Keeps the previous model's compiled inbound policies, but for the pods named in <paramref name="changed"/> and
    /// those in <paramref name="namespaces"/> (<see cref="SameInboundInputs"/>, <see cref="SameInboundInputsButPods"/> or
    /// <see cref="CarriedTargets"/> said the others are unchanged).
    /// </summary>
    private void CarryOverInbound(MeshModel previous, HashSet<(string Namespace, string Name)>? changed, HashSet<string>? namespaces)
    {
        foreach (var (key, entry) in previous._inbound)
        {
            if (changed?.Contains((key.Namespace, key.Pod)) != true && namespaces?.Contains(key.Namespace) != true)
            {
                _inbound.TryAdd(key, new CompiledInbound(entry.Policy));
            }
        }
    }

    private CompiledInbound Inbound(string podNamespace, string podName) =>
        _inbound.GetOrAdd((podNamespace, podName), static (key, model) => new CompiledInbound(model.BuildInbound(key.Namespace, key.Pod)), this);

    private InboundPolicy? BuildInbound(string podNamespace, string podName)
    {
        var pod = _index.Pod(podNamespace, podName);
        if (pod is null)
        {
            return null;
        }

        var ns = PodSettings.NamespaceOf(_snapshot, podNamespace);
        return new InboundPolicy
        {
            Namespace = pod.Namespace,
            Pod = pod.Name,
            ServiceAccount = pod.ServiceAccount,
            TrustDomain = TrustDomain,
            Level = MeshLevels.Of(pod),
            DefaultPolicy = DefaultInboundPolicies.Resolve(pod, ns, DefaultInboundPolicy),
            Policies = Targets.EntriesFor(pod),
        };
    }

    /// <summary>A pod's compiled inbound policy and, once <see cref="ExplainAuthorization"/> asked, its table.</summary>
    private sealed class CompiledInbound(InboundPolicy? policy)
    {
        public InboundPolicy? Policy { get; } = policy;
        public AuthorizationTable? Table { get; set; }
    }
}
