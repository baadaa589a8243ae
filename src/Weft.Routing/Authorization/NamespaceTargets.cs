using System.Globalization;
using Weft.Api.Model;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing.Authorization;

/// <summary>
/// The AuthorizationPolicies of one namespace with their targetRefs resolved to pods (issue 14): the status of each
/// targetRef (GEP-713 ancestor style) and, per pod, the accepted targets that apply to it with their scope. A target that
/// is not Accepted applies to no pod. Targets never cross namespaces: a targetRef names objects in the policy's namespace,
/// and only its pods are selected (what else a resolution reads, and when <see cref="AuthorizationTargets"/>, which keeps
/// one per namespace, resolves one again: there).
/// </summary>
internal sealed class NamespaceTargets
{
    private const int MaxListedWorkloads = 5;

    // The model's index, routes and route rules, read while resolving (in the constructor) only: a resolution a later model
    // keeps (MeshModel.CarriedTargets) must not keep the model that made it.
    private readonly MeshIndex _index;
    private readonly string _controllerName;
    private readonly Func<string, string, string, Route?> _route;
    private readonly Func<Route, IReadOnlyList<AnalyzedRule>> _routeRules;
    private readonly Dictionary<string, List<Applied>> _byPod = new(StringComparer.Ordinal);
    private readonly HashSet<string> _servicesRead = new(StringComparer.Ordinal);
    private readonly HashSet<(string Kind, string Namespace, string Name)> _routesRead = [];

    /// <param name="policies">One namespace's AuthorizationPolicies, in the snapshot's order (at least one).</param>
    /// <param name="pods">That namespace's pods as the index has them (the last of a name), sorted by name; the resolution owns the list.</param>
    /// <param name="index">The model's index.</param>
    /// <param name="controllerName">The controller's name, for the statuses.</param>
    /// <param name="route">The model's route of a kind, namespace and name, or null (a name two routes hold finds one of them).</param>
    /// <param name="routeRules">A route's analysed rules, empty for a route not analysed.</param>
    public NamespaceTargets(
        List<AuthorizationPolicy> policies, List<Pod> pods, MeshIndex index, string controllerName,
        Func<string, string, string, Route?> route, Func<Route, IReadOnlyList<AnalyzedRule>> routeRules)
    {
        Policies = policies;
        Pods = pods;
        _index = index;
        _controllerName = controllerName;
        _route = route;
        _routeRules = routeRules;
        var statuses = new List<AuthorizationPolicyStatus>(policies.Count);
        foreach (var policy in policies)
        {
            statuses.Add(Resolve(policy));
        }

        Statuses = statuses;

        // What only resolving reads: a resolution a later model keeps must keep neither the model nor the snapshot.
        _index = null!;
        _route = null!;
        _routeRules = null!;
    }

    /// <summary>The namespace's policies, in the snapshot's order.</summary>
    public IReadOnlyList<AuthorizationPolicy> Policies { get; }

    /// <summary>The namespace's pods the policies were resolved over, sorted by name.</summary>
    public IReadOnlyList<Pod> Pods { get; }

    /// <summary>The status of each of <see cref="Policies"/>, in their order.</summary>
    public IReadOnlyList<AuthorizationPolicyStatus> Statuses { get; }

    /// <summary>
    /// The Services the targets read besides the pods ("namespace/name", found or not): those a Service targetRef names
    /// and the backends in the policy's namespace of the rules a route targetRef names. A resolution holds on a model where
    /// none of them, nor their endpoints, changed (and the policies, the pods and <see cref="RoutesRead"/> did not).
    /// </summary>
    public IReadOnlySet<string> ServicesRead => _servicesRead;

    /// <summary>The routes a route targetRef names, found or not (kind, namespace, name).</summary>
    public IReadOnlySet<(string Kind, string Namespace, string Name)> RoutesRead => _routesRead;

    /// <summary>
    /// The entries of the policies that apply to <paramref name="pod"/>: DENY ones first, then ALLOW, each by name; a policy
    /// whose targets cover the whole pod once with no scope, else once per scope in targetRef order.
    /// </summary>
    public IReadOnlyList<AuthorizationPolicyEntry> EntriesFor(Pod pod)
    {
        if (!_byPod.TryGetValue(pod.Key, out var applied))
        {
            return [];
        }

        var ordered = applied
            .OrderBy(a => a.Policy.Spec.Action == AuthorizationAction.Deny ? 0 : 1)
            .ThenBy(a => a.Policy.Name, StringComparer.Ordinal)
            .ThenBy(a => a.Target);
        var entries = new List<AuthorizationPolicyEntry>();
        AuthorizationPolicy? current = null;
        var whole = false;
        foreach (var a in ordered)
        {
            if (!ReferenceEquals(a.Policy, current))
            {
                current = a.Policy;
                whole = applied.Any(x => ReferenceEquals(x.Policy, current) && x.Scope is null);
                if (whole)
                {
                    entries.Add(Entry(current, null));
                    continue;
                }
            }

            if (!whole)
            {
                entries.Add(Entry(current, a.Scope));
            }
        }

        return entries;
    }

    private static AuthorizationPolicyEntry Entry(AuthorizationPolicy policy, AuthorizationScope? scope) => new()
    {
        Name = policy.Name,
        Action = policy.Spec.Action,
        Scope = scope,
        Rules = [.. policy.Spec.Rules.Select(RulePolicy)],
    };

    /// <summary>A rule as the sidecar reads it: the API's lists, sources as SPIFFE IDs or service accounts.</summary>
    private static AuthorizationRulePolicy RulePolicy(AuthorizationRule rule, int index) => new()
    {
        Index = index,
        Sources = rule.Sources is null ? null : [.. rule.Sources.Select(SourcePolicy)],
        Ports = rule.NetworkAttributes?.Ports ?? [],
        Methods = rule.Http?.Methods ?? [],
        Paths = [.. (rule.Http?.Paths ?? []).Select(p => new ValueMatchPolicy { Type = p.Type, Name = "", Value = p.Value })],
        Headers = [.. (rule.Http?.Headers ?? []).Select(h => new ValueMatchPolicy { Type = h.Type, Name = h.Name, Value = h.Value })],
        GrpcService = string.IsNullOrEmpty(rule.Grpc?.Service) ? null : rule.Grpc.Service,
        GrpcMethod = string.IsNullOrEmpty(rule.Grpc?.Method) ? null : rule.Grpc.Method,
    };

    private static AuthorizationSourcePolicy SourcePolicy(AuthorizationSource source) => source.Type == AuthorizationSourceType.Spiffe
        ? new AuthorizationSourcePolicy { Spiffe = source.Spiffe }
        : new AuthorizationSourcePolicy { Namespace = source.ServiceAccount?.Namespace, ServiceAccount = source.ServiceAccount?.Name };

    /// <summary>Whether a rule looks at HTTP or gRPC properties (what an l4 workload's sidecar cannot see).</summary>
    public static bool HasL7(AuthorizationRule rule) =>
        rule.Http is { } h && (h.Methods.Count > 0 || h.Paths.Count > 0 || h.Headers.Count > 0)
        || rule.Grpc is { } g && (!string.IsNullOrEmpty(g.Service) || !string.IsNullOrEmpty(g.Method));

    private AuthorizationPolicyStatus Resolve(AuthorizationPolicy policy)
    {
        var generation = policy.Metadata.Generation;
        var targets = new List<AuthorizationTargetStatus>(policy.Spec.TargetRefs.Count);
        for (var i = 0; i < policy.Spec.TargetRefs.Count; i++)
        {
            var target = policy.Spec.TargetRefs[i];
            var resolution = ResolveTarget(policy, target);
            RouteCondition Cond(string type, string status, string reason, string message) => new(type, status, reason, message, generation);
            var resolvedRefs = resolution.Unresolved
                ? Cond(AuthorizationConditions.ResolvedRefs, RouteConditions.False, resolution.Reason!, resolution.Message)
                : Cond(AuthorizationConditions.ResolvedRefs, RouteConditions.True, AuthorizationConditions.ResolvedRefs, $"{Describe(policy, target)} resolved.");
            // An L7 rule on an l4 pod is reported, and the policy still applies with L4 semantics (a DENY's HTTP parts
            // ignored, an ALLOW's HTTP rules never matching): dropping it would let one l4 pod switch off a DENY.
            var applies = resolution.Reason is null or AuthorizationConditions.L7RuleOnL4Workload;
            var accepted = resolution.Reason is { } reason
                ? Cond(AuthorizationConditions.Accepted, RouteConditions.False, reason,
                    applies ? resolution.Message : $"{resolution.Message} The target does not apply to any pod.")
                : Cond(AuthorizationConditions.Accepted, RouteConditions.True, AuthorizationConditions.Accepted, resolution.Message);
            var pods = applies ? resolution.Pods.Select(p => p.Pod.Key).Distinct().ToList() : [];
            if (applies)
            {
                foreach (var (pod, scope) in resolution.Pods)
                {
                    if (!_byPod.TryGetValue(pod.Key, out var list))
                    {
                        _byPod[pod.Key] = list = [];
                    }

                    list.Add(new Applied(policy, i, scope));
                }
            }

            targets.Add(new AuthorizationTargetStatus(target, _controllerName, [accepted, resolvedRefs], pods));
        }

        return new AuthorizationPolicyStatus(policy.Namespace, policy.Name, generation, targets);
    }

    private static string Describe(AuthorizationPolicy policy, AuthorizationTargetReference t) => t.Kind switch
    {
        "Pod" => $"Pod selector {DescribeSelector(t.Selector)} in namespace {policy.Namespace}",
        _ when !string.IsNullOrEmpty(t.SectionName) => $"{t.Kind} {policy.Namespace}/{t.Name} rule \"{t.SectionName}\"",
        _ => $"{t.Kind} {policy.Namespace}/{t.Name}",
    };

    private static string DescribeSelector(LabelSelector? s)
    {
        if (s is null || (s.MatchLabels.Count == 0 && s.MatchExpressions.Count == 0))
        {
            return "{} (every pod)";
        }

        var parts = s.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")
            .Concat(s.MatchExpressions.Select(e => e.Values.Count == 0 ? $"{e.Key} {e.Operator}" : $"{e.Key} {e.Operator} ({string.Join(",", e.Values)})"));
        return "{" + string.Join(", ", parts) + "}";
    }

    private TargetResolution ResolveTarget(AuthorizationPolicy policy, AuthorizationTargetReference t)
    {
        var ns = policy.Namespace;
        TargetResolution Invalid(string why) => TargetResolution.Failed(AuthorizationConditions.InvalidTarget, why, unresolved: true);
        var isRoute = t.Kind is "HTTPRoute" or "GRPCRoute";
        if (t.Kind is not ("Pod" or "Service") && !isRoute)
        {
            return Invalid($"targetRef kind \"{t.Kind}\" is not supported: an AuthorizationPolicy targets a Pod (by selector), a Service, an HTTPRoute or a GRPCRoute.");
        }

        if (!isRoute && !CoreServiceRef.IsCoreGroup(t.Group))
        {
            return Invalid($"targetRef group \"{t.Group}\" is not the core group for kind {t.Kind}; write group: \"\".");
        }

        if (isRoute && t.Group != GatewayApi.Group)
        {
            return Invalid($"targetRef group \"{t.Group}\" is not {GatewayApi.Group} for kind {t.Kind}.");
        }

        if (t.Kind == "Pod")
        {
            if (!string.IsNullOrEmpty(t.Name))
            {
                return Invalid($"a Pod targetRef selects pods by selector and takes no name (name \"{t.Name}\" given); use selector.matchLabels.");
            }

            if (SelectorProblem(t.Selector) is { } problem)
            {
                return Invalid(problem);
            }

            var selected = Pods.Where(p => Selects(t.Selector, p.Metadata.Labels)).Select(p => (p, (AuthorizationScope?)null)).ToList();
            return Finish(policy, t, selected, $"Pod selector {DescribeSelector(t.Selector)} matches no pod in namespace {ns}.");
        }

        if (string.IsNullOrEmpty(t.Name))
        {
            return Invalid($"a {t.Kind} targetRef needs a name.");
        }

        if (t.Kind == "Service")
        {
            _servicesRead.Add($"{ns}/{t.Name}");
            var svc = _index.Service(ns, t.Name);
            if (svc is null)
            {
                return TargetResolution.Failed(AuthorizationConditions.TargetNotFound, $"Service {ns}/{t.Name} not found.", unresolved: true);
            }

            var pods = ServicePods(svc, svc.Spec.Ports)
                .Select(x => (x.Pod, (AuthorizationScope?)new AuthorizationScope { TargetKind = "Service", TargetName = svc.Name, Ports = x.Ports }))
                .ToList();
            return Finish(policy, t, pods, $"Service {svc.Key} selects no pod serving its ports.");
        }

        return ResolveRoute(policy, t);
    }

    private TargetResolution ResolveRoute(AuthorizationPolicy policy, AuthorizationTargetReference t)
    {
        var ns = policy.Namespace;
        _routesRead.Add((t.Kind, ns, t.Name!));
        if (_route(t.Kind, ns, t.Name!) is not ({ } route and (HttpRoute or GrpcRoute)))
        {
            return TargetResolution.Failed(AuthorizationConditions.TargetNotFound, $"{t.Kind} {ns}/{t.Name} not found.", unresolved: true);
        }

        IReadOnlyList<(string? Name, IReadOnlyList<BackendRef> Backends)> rules = route switch
        {
            HttpRoute h => [.. h.Spec.Rules.Select(r => (r.Name, r.BackendRefs))],
            GrpcRoute g => [.. g.Spec.Rules.Select(r => (r.Name, r.BackendRefs))],
            _ => [],
        };
        var chosen = new List<int>();
        for (var i = 0; i < rules.Count; i++)
        {
            if (string.IsNullOrEmpty(t.SectionName) || rules[i].Name == t.SectionName)
            {
                chosen.Add(i);
            }
        }

        if (chosen.Count == 0 && !string.IsNullOrEmpty(t.SectionName))
        {
            return TargetResolution.Failed(AuthorizationConditions.TargetNotFound,
                $"{t.Kind} {route.Key} has no rule named \"{t.SectionName}\" (sectionName names a rule).", unresolved: true);
        }

        var analyzed = _routeRules(route);

        // Per pod, the rules whose backends it serves: (ports on the pod, the rule's matches), merged when the ports agree.
        var perPod = new Dictionary<string, (Pod Pod, List<(List<int> Ports, List<MatchPolicy> Matches)> Scopes)>(StringComparer.Ordinal);
        foreach (var i in chosen)
        {
            var matches = i < analyzed.Count ? analyzed[i].Matches : [];
            var ports = new Dictionary<string, (Pod Pod, SortedSet<int> Ports)>(StringComparer.Ordinal);
            foreach (var backend in rules[i].Backends)
            {
                var backendNs = string.IsNullOrEmpty(backend.Namespace) ? route.Namespace : backend.Namespace;
                if (!CoreServiceRef.Is(backend.Group, backend.Kind) || backendNs != ns)
                {
                    continue;
                }

                _servicesRead.Add($"{ns}/{backend.Name}");
                if (_index.Service(ns, backend.Name) is not { } svc)
                {
                    continue;
                }

                IReadOnlyList<ServicePort> servicePorts = backend.Port is { } n ? (MeshIndex.FindPort(svc, n) is { } sp ? [sp] : []) : svc.Spec.Ports;
                foreach (var (pod, podPorts) in ServicePods(svc, servicePorts))
                {
                    if (!ports.TryGetValue(pod.Key, out var entry))
                    {
                        ports[pod.Key] = entry = (pod, []);
                    }

                    entry.Ports.UnionWith(podPorts);
                }
            }

            foreach (var (key, (pod, set)) in ports.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                if (!perPod.TryGetValue(key, out var scopes))
                {
                    perPod[key] = scopes = (pod, []);
                }

                var list = set.ToList();
                if (scopes.Scopes.Count > 0 && scopes.Scopes[^1].Ports.SequenceEqual(list))
                {
                    scopes.Scopes[^1].Matches.AddRange(matches);
                }
                else
                {
                    scopes.Scopes.Add((list, [.. matches]));
                }
            }
        }

        var applied = new List<(Pod, AuthorizationScope?)>();
        foreach (var (_, (pod, scopes)) in perPod.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            foreach (var (ports, matches) in scopes)
            {
                applied.Add((pod, new AuthorizationScope
                {
                    TargetKind = t.Kind,
                    TargetName = route.Name,
                    SectionName = string.IsNullOrEmpty(t.SectionName) ? null : t.SectionName,
                    Ports = ports,
                    Matches = matches,
                }));
            }
        }

        var which = string.IsNullOrEmpty(t.SectionName) ? $"{t.Kind} {route.Key}" : $"{t.Kind} {route.Key} rule \"{t.SectionName}\"";
        return Finish(policy, t, applied, $"{which} has no backend pods in namespace {ns} (backendRefs to Services there, with pods serving their ports).");
    }

    /// <summary>NoMatchingWorkloads when nothing is selected, L7RuleOnL4Workload when an L7 rule meets an l4 pod, else Accepted.</summary>
    private static TargetResolution Finish(AuthorizationPolicy policy, AuthorizationTargetReference t, List<(Pod Pod, AuthorizationScope? Scope)> pods, string none)
    {
        if (pods.Count == 0)
        {
            return TargetResolution.Failed(AuthorizationConditions.NoMatchingWorkloads, none, unresolved: false);
        }

        var l7Rule = policy.Spec.Rules.Select((r, i) => (r, i)).FirstOrDefault(x => HasL7(x.r));
        if (l7Rule.r is not null)
        {
            var l4 = WorkloadName.Keys(pods.Select(p => p.Pod).Where(p => MeshLevels.Of(p) == MeshLevels.L4));
            if (l4.Count > 0)
            {
                return new TargetResolution(AuthorizationConditions.L7RuleOnL4Workload,
                    $"rules[{l7Rule.i}] uses HTTP or gRPC properties, and {Describe(policy, t)} includes {WorkloadList("l4 workload", l4)} ({MeshLevels.Key}: l4): "
                    + "its sidecar does not parse HTTP, so there the policy applies at L4 only (a DENY rule without its HTTP parts, an ALLOW rule "
                    + "with them never matching). Target only l7 workloads, or drop the http/grpc conditions.",
                    false, pods);
            }
        }

        return new TargetResolution(null, $"{Describe(policy, t)} applies to {WorkloadList("workload", WorkloadName.Keys(pods.Select(p => p.Pod)))}.", false, pods);
    }

    private static string WorkloadList(string what, List<string> keys)
    {
        var listed = string.Join(", ", keys.Take(MaxListedWorkloads));
        var more = keys.Count > MaxListedWorkloads ? $" and {(keys.Count - MaxListedWorkloads).ToString(CultureInfo.InvariantCulture)} more" : "";
        return keys.Count == 1 ? $"{what} {listed}" : $"{keys.Count.ToString(CultureInfo.InvariantCulture)} {what}s: {listed}{more}";
    }


    /// <summary>
    /// The pods behind a Service and the pod ports (targetPort resolved per pod) that <paramref name="ports"/> reach: by the
    /// Service's selector, or, for a Service without one, by its EndpointSlices. A pod serving none of them is left out.
    /// </summary>
    private List<(Pod Pod, IReadOnlyList<int> Ports)> ServicePods(Service svc, IReadOnlyList<ServicePort> ports)
    {
        var result = new SortedDictionary<string, (Pod Pod, SortedSet<int> Ports)>(StringComparer.Ordinal);
        void Add(Pod pod, int port)
        {
            if (!result.TryGetValue(pod.Key, out var entry))
            {
                result[pod.Key] = entry = (pod, []);
            }

            entry.Ports.Add(port);
        }

        if (svc.Spec.Selector is { Count: > 0 } selector)
        {
            foreach (var pod in Pods)
            {
                if (!selector.All(kv => pod.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
                {
                    continue;
                }

                foreach (var sp in ports)
                {
                    if (TargetPort(pod, sp) is { } port)
                    {
                        Add(pod, port);
                    }
                }
            }
        }
        else
        {
            foreach (var sp in ports)
            {
                foreach (var ep in _index.Endpoints(svc, sp))
                {
                    if (_index.PodByKey(ep.Pod) is { } pod && pod.Namespace == svc.Namespace)
                    {
                        Add(pod, ep.Port);
                    }
                }
            }
        }

        return [.. result.Values.Select(x => (x.Pod, (IReadOnlyList<int>)[.. x.Ports]))];
    }

    /// <summary>A Service port's targetPort on one pod: a number, a named container port, or the port itself when unset.</summary>
    private static int? TargetPort(Pod pod, ServicePort sp)
    {
        if (sp.TargetPort.Number is { } number)
        {
            return number;
        }

        if (sp.TargetPort.Text is not { Length: > 0 } name)
        {
            return sp.Port;
        }

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

        return null;
    }

    private static string? SelectorProblem(LabelSelector? selector)
    {
        foreach (var e in selector?.MatchExpressions ?? [])
        {
            switch (e.Operator)
            {
                case "In" or "NotIn" when e.Values.Count == 0:
                    return $"selector matchExpressions key \"{e.Key}\" operator {e.Operator} needs values.";
                case "Exists" or "DoesNotExist" when e.Values.Count > 0:
                    return $"selector matchExpressions key \"{e.Key}\" operator {e.Operator} takes no values.";
                case "In" or "NotIn" or "Exists" or "DoesNotExist":
                    break;
                default:
                    return $"selector matchExpressions operator \"{e.Operator}\" is not In, NotIn, Exists or DoesNotExist.";
            }
        }

        return null;
    }

    /// <summary>A Kubernetes label selector: every matchLabels pair and every matchExpressions requirement holds; empty selects all.</summary>
    internal static bool Selects(LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            if (!labels.TryGetValue(key, out var v) || v != value)
            {
                return false;
            }
        }

        foreach (var e in selector.MatchExpressions)
        {
            var has = labels.TryGetValue(e.Key, out var v);
            var ok = e.Operator switch
            {
                "In" => has && e.Values.Contains(v!),
                "NotIn" => !has || !e.Values.Contains(v!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One accepted target of a policy applying to one pod.</summary>
    private sealed record Applied(AuthorizationPolicy Policy, int Target, AuthorizationScope? Scope);

    /// <summary>A targetRef resolved: a failure reason (null: accepted), the message, whether the ref itself did not resolve, the pods.</summary>
    private sealed record TargetResolution(string? Reason, string Message, bool Unresolved, List<(Pod Pod, AuthorizationScope? Scope)> Pods)
    {
        public static TargetResolution Failed(string reason, string message, bool unresolved) => new(reason, message, unresolved, []);
    }
}
