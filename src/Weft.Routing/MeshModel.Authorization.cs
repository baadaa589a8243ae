using System.Collections.Concurrent;
using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Internal;
using Weft.Routing.Matching;

namespace Weft.Routing;

/// <summary>
/// Issue 14 on the compile side: each workload's inbound policy, and each AuthorizationPolicy's status. A targetRef
/// resolves to pods once per model (<see cref="AuthorizationTargets"/>); status and compile read that one resolution.
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
                var built = new AuthorizationTargets(_snapshot, _index, ControllerName, RouteRulesOf);
                targets = Interlocked.CompareExchange(ref _authorizationTargets, built, null) ?? built;
            }

            return targets;
        }
    }

    /// <summary>A route's analysed rules (their matches as the route planners read them), empty for a route not analysed.</summary>
    private IReadOnlyList<Internal.AnalyzedRule> RouteRulesOf(Route route) =>
        _analyzedByRoute[route] is { } analyzed ? analyzed.Route.Rules : [];

    /// <summary>
    /// Whether every pod's inbound policy on <paramref name="snapshot"/> is what it was on <paramref name="previous"/> (a
    /// model made from it by <see cref="Update"/>: same trust domain and default inbound policy): the pods, namespaces and AuthorizationPolicies are the same instances (nothing in an inbound policy reads ServiceAccount objects), and either there is no
    /// AuthorizationPolicy (a policy's targets resolve through Services, their endpoints and routes) or those are the same
    /// too (<paramref name="reuse"/>: the index is the previous model's; and the same routes).
    /// With AuthorizationPolicies, <see cref="CarriedTargets"/> also keeps them when a change touched nothing their targets read.
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
    /// when it resolved them and it holds on <paramref name="snapshot"/> (a model made from it by <see cref="Update"/>, its
    /// index the previous one's with at most <paramref name="moved"/> Services changed or their endpoints moved): the
    /// policies, pods and namespaces are the same instances, no Service the targets read is in <paramref name="moved"/>,
    /// and each route they name is the same, analysed the same. Else null, resolved again when asked for. Without it, any
    /// change of a Service, endpoints or a route made every pod's inbound policy compile again (issue 18: at 50k, with an
    /// AuthorizationPolicy per namespace, 28-361 ms per change for the 5,000 subscribed pods).
    /// </summary>
    private AuthorizationTargets? CarriedTargets(MeshModel previous, MeshSnapshot snapshot, HashSet<string>? moved)
    {
        if (Volatile.Read(ref previous._authorizationTargets) is not { } targets
            || !SameInstances(previous._snapshot.AuthorizationPolicies, snapshot.AuthorizationPolicies)
            || !SameInstances(previous._snapshot.Pods, snapshot.Pods)
            || !SameInstances(previous._snapshot.Namespaces, snapshot.Namespaces)
            || (moved is not null && moved.Overlaps(targets.ServicesRead)))
        {
            return null;
        }

        foreach (var name in targets.RoutesRead)
        {
            var (before, now) = (previous._routesByName[name], _routesByName[name]);
            if (!ReferenceEquals(before, now) || (now is not null && !ReferenceEquals(previous._analyzedByRoute[now], _analyzedByRoute[now])))
            {
                return null;
            }
        }

        return targets;
    }

    /// <summary>
    /// Keeps the previous model's compiled inbound policies, but for the pods named in <paramref name="changed"/>
    /// (<see cref="SameInboundInputs"/> or <see cref="SameInboundInputsButPods"/> said the others are unchanged).
    /// </summary>
    private void CarryOverInbound(MeshModel previous, HashSet<(string Namespace, string Name)>? changed)
    {
        foreach (var (key, entry) in previous._inbound)
        {
            if (changed?.Contains((key.Namespace, key.Pod)) != true)
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
