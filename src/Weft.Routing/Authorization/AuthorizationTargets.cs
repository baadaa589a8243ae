using Weft.Api.Model;
using Weft.Routing.Internal;

namespace Weft.Routing.Authorization;

/// <summary>
/// Every AuthorizationPolicy's targetRefs resolved to pods over one snapshot (issue 14), one <see cref="NamespaceTargets"/>
/// per namespace with a policy. A namespace's resolution reads that namespace's policies and pods, the Services its
/// targets name with their endpoints (which a selector-less Service's slices can take from pods of any namespace), and
/// the routes they name with their analyses (which read Services of other namespaces): a model made from another
/// (<see cref="With"/>) resolves again the namespaces whose policies or pods changed or whose resolution reads a Service
/// that changed or whose endpoints moved, or a route changed or analysed anew (<c>MeshModel.CarriedTargets</c> finds
/// them), and keeps the others' resolutions, with the statuses of their policies and their pods' inbound policies (issue
/// 18: at 50k with a policy per namespace, a pod created or deleted compiled every subscribed pod's inbound policy again,
/// 55-108 ms).
/// </summary>
internal sealed class AuthorizationTargets
{
    private readonly IReadOnlyList<AuthorizationPolicy> _policies;
    private readonly LayeredMap<string, NamespaceTargets> _byNamespace;

    // The namespaces whose resolution names a route (a route targetRef): few; looked at on every change.
    private readonly HashSet<string> _routeReaders;
    private IReadOnlyList<AuthorizationPolicyStatus>? _statuses;

    private AuthorizationTargets(IReadOnlyList<AuthorizationPolicy> policies, LayeredMap<string, NamespaceTargets> byNamespace, HashSet<string> routeReaders)
    {
        _policies = policies;
        _byNamespace = byNamespace;
        _routeReaders = routeReaders;
    }

    /// <summary>The policies of <paramref name="snapshot"/> resolved, every namespace's.</summary>
    /// <param name="snapshot">The model's snapshot.</param>
    /// <param name="index">The model's index.</param>
    /// <param name="controllerName">The controller's name, for the statuses.</param>
    /// <param name="route">The model's route of a kind, namespace and name, or null (a name two routes hold finds one of them).</param>
    /// <param name="routeRules">A route's analysed rules, empty for a route not analysed.</param>
    public static AuthorizationTargets Resolve(
        MeshSnapshot snapshot, MeshIndex index, string controllerName,
        Func<string, string, string, Route?> route, Func<Route, IReadOnlyList<AnalyzedRule>> routeRules)
    {
        var policies = PoliciesIn(snapshot.AuthorizationPolicies, null);
        var pods = PodsIn(snapshot.Pods, index, policies.Keys.ToHashSet(StringComparer.Ordinal));

        var byNamespace = new Dictionary<string, NamespaceTargets>(StringComparer.Ordinal);
        var routeReaders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ns, list) in policies)
        {
            var resolved = new NamespaceTargets(list, Sorted(pods.GetValueOrDefault(ns) ?? []), index, controllerName, route, routeRules);
            byNamespace[ns] = resolved;
            if (resolved.RoutesRead.Count > 0)
            {
                routeReaders.Add(ns);
            }
        }

        return new AuthorizationTargets(snapshot.AuthorizationPolicies, new(byNamespace), routeReaders);
    }

    /// <summary>
    /// This resolution on <paramref name="snapshot"/>, a later snapshot whose pods differ only by <paramref name="pods"/>
    /// (null: the same): the namespaces in <paramref name="touched"/> are resolved again, the others' resolutions kept as
    /// instances. The caller names every namespace whose policies changed (one created, deleted, changed, or moved in the
    /// list relative to the others: a kept namespace's policies must be in the list in the order they were), whose pods
    /// changed, or whose resolution reads a Service or route that changed (<see cref="ReadsService"/>, <see cref="RoutesRead"/>).
    /// </summary>
    public AuthorizationTargets With(
        MeshSnapshot snapshot, IReadOnlySet<string> touched, PodChanges? pods, MeshIndex index, string controllerName,
        Func<string, string, string, Route?> route, Func<Route, IReadOnlyList<AnalyzedRule>> routeRules)
    {
        if (touched.Count == 0)
        {
            return ReferenceEquals(snapshot.AuthorizationPolicies, _policies) ? this : new(snapshot.AuthorizationPolicies, _byNamespace, _routeReaders);
        }

        var policies = PoliciesIn(snapshot.AuthorizationPolicies, touched);

        // A namespace that had no policy has no pods listed: those are found in one pass over the pods.
        var unlisted = policies.Keys.Where(ns => _byNamespace[ns] is null).ToHashSet(StringComparer.Ordinal);
        var found = unlisted.Count == 0 ? null : PodsIn(snapshot.Pods, index, unlisted);

        var changes = new Dictionary<string, NamespaceTargets?>(StringComparer.Ordinal);
        var routeReaders = new HashSet<string>(_routeReaders, StringComparer.Ordinal);
        foreach (var ns in touched)
        {
            NamespaceTargets? resolved = null;
            if (policies.TryGetValue(ns, out var list))
            {
                var nsPods = unlisted.Contains(ns) ? found!.GetValueOrDefault(ns) ?? [] : PodsAfter(_byNamespace[ns]!.Pods, ns, pods, index);
                resolved = new NamespaceTargets(list, Sorted(nsPods), index, controllerName, route, routeRules);
            }

            if (resolved is not null || _byNamespace[ns] is not null)
            {
                changes[ns] = resolved;
            }

            if (resolved?.RoutesRead.Count > 0)
            {
                routeReaders.Add(ns);
            }
            else
            {
                routeReaders.Remove(ns);
            }
        }

        return changes.Count == 0 && ReferenceEquals(snapshot.AuthorizationPolicies, _policies)
            ? this
            : new AuthorizationTargets(snapshot.AuthorizationPolicies, _byNamespace.With(changes), routeReaders);
    }

    /// <summary>One entry per AuthorizationPolicy, in snapshot order: its conditions per targetRef.</summary>
    public IReadOnlyList<AuthorizationPolicyStatus> Statuses
    {
        get
        {
            var statuses = Volatile.Read(ref _statuses);
            if (statuses is null)
            {
                // Each namespace's statuses are in the order of its policies in the snapshot's list (With's contract);
                // should a policy not be where that puts it, it is looked for.
                var next = new Dictionary<string, int>(StringComparer.Ordinal);
                var list = new List<AuthorizationPolicyStatus>(_policies.Count);
                foreach (var policy in _policies)
                {
                    var resolved = _byNamespace[policy.Namespace]!;
                    var at = next.GetValueOrDefault(policy.Namespace);
                    if (at >= resolved.Policies.Count || !ReferenceEquals(resolved.Policies[at], policy))
                    {
                        at = IndexOf(resolved.Policies, policy);
                    }

                    next[policy.Namespace] = at + 1;
                    list.Add(resolved.Statuses[at]);
                }

                Volatile.Write(ref _statuses, statuses = list);
            }

            return statuses;
        }
    }

    /// <summary>The resolution of namespace <paramref name="ns"/>, or null when it has no policy.</summary>
    internal NamespaceTargets? Of(string ns) => _byNamespace[ns];

    /// <summary>Whether a resolution reads Service <paramref name="key"/> ("namespace/name"), found or not.</summary>
    public bool ReadsService(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && _byNamespace[key[..slash]] is { } resolved && resolved.ServicesRead.Contains(key);
    }

    /// <summary>The routes a route targetRef names, found or not (kind, namespace, name), in every namespace.</summary>
    public IEnumerable<(string Kind, string Namespace, string Name)> RoutesRead =>
        _routeReaders.SelectMany(ns => _byNamespace[ns]!.RoutesRead);

    /// <summary>
    /// The entries of the policies that apply to <paramref name="pod"/>: DENY ones first, then ALLOW, each by name; a policy
    /// whose targets cover the whole pod once with no scope, else once per scope in targetRef order.
    /// </summary>
    public IReadOnlyList<AuthorizationPolicyEntry> EntriesFor(Pod pod) =>
        _byNamespace[pod.Namespace] is { } resolved ? resolved.EntriesFor(pod) : [];

    private static int IndexOf(IReadOnlyList<AuthorizationPolicy> policies, AuthorizationPolicy policy)
    {
        for (var i = 0; i < policies.Count; i++)
        {
            if (ReferenceEquals(policies[i], policy))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"AuthorizationPolicy {policy.Namespace}/{policy.Name} was not resolved with its namespace");
    }

    /// <summary>The policies of <paramref name="all"/> by namespace, each list in its order; only those of <paramref name="only"/> when given.</summary>
    private static Dictionary<string, List<AuthorizationPolicy>> PoliciesIn(IReadOnlyList<AuthorizationPolicy> all, IReadOnlySet<string>? only)
    {
        var byNamespace = new Dictionary<string, List<AuthorizationPolicy>>(StringComparer.Ordinal);
        foreach (var policy in all)
        {
            if (only is null || only.Contains(policy.Namespace))
            {
                (byNamespace.TryGetValue(policy.Namespace, out var list) ? list : byNamespace[policy.Namespace] = []).Add(policy);
            }
        }

        return byNamespace;
    }

    /// <summary>
    /// The pods of <paramref name="namespaces"/> in <paramref name="all"/>, by namespace, as the index has them (the last of
    /// a name); a namespace without a pod has no entry.
    /// </summary>
    private static Dictionary<string, List<Pod>> PodsIn(IReadOnlyList<Pod> all, MeshIndex index, HashSet<string> namespaces)
    {
        var pods = new Dictionary<string, List<Pod>>(StringComparer.Ordinal);
        if (namespaces.Count == 0)
        {
            return pods;
        }

        foreach (var pod in all)
        {
            if (namespaces.Contains(pod.Namespace) && ReferenceEquals(index.Pod(pod.Namespace, pod.Name), pod))
            {
                (pods.TryGetValue(pod.Namespace, out var list) ? list : pods[pod.Namespace] = []).Add(pod);
            }
        }

        return pods;
    }

    /// <summary>A namespace's pods after <paramref name="changes"/>: <paramref name="before"/> without those gone, with those added that the index has.</summary>
    private static List<Pod> PodsAfter(IReadOnlyList<Pod> before, string ns, PodChanges? changes, MeshIndex index)
    {
        if (changes is null)
        {
            return [.. before];
        }

        var gone = new HashSet<Pod>(ReferenceEqualityComparer.Instance);
        foreach (var pod in changes.Gone)
        {
            if (pod.Namespace == ns)
            {
                gone.Add(pod);
            }
        }

        // A kept pod whose name a changed one has is kept only while the index has it (the last of a name; a snapshot made
        // by hand can name a pod twice).
        var after = new List<Pod>(before.Count + changes.Added.Count);
        foreach (var pod in before)
        {
            if (!gone.Contains(pod) && (!changes.Names.Contains((ns, pod.Name)) || ReferenceEquals(index.Pod(ns, pod.Name), pod)))
            {
                after.Add(pod);
            }
        }

        foreach (var pod in changes.Added)
        {
            if (pod.Namespace == ns && ReferenceEquals(index.Pod(ns, pod.Name), pod))
            {
                after.Add(pod);
            }
        }

        return after;
    }

    private static List<Pod> Sorted(List<Pod> pods)
    {
        pods.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return pods;
    }
}
