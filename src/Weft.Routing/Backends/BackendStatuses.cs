using Weft.Api.Model;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing.Backends;

/// <summary>
/// The status of issue 17's kinds over one snapshot, read from what was already decided: which policy won each target
/// (<see cref="MeshIndex.TlsPolicy"/>, <see cref="MeshIndex.TrafficPolicy"/>), the CA bundles compiled once
/// (<see cref="MeshIndex.Tls"/>), what an XBackend itself allows (<see cref="ExternalBackends.Own"/>) and which XBackends
/// each route refers to (<see cref="AnalyzedRoute.XBackends"/>). Nothing is worked out a second time.
/// </summary>
internal sealed class BackendStatuses
{
    /// <summary>XBackend <c>status.parents</c> has <c>maxItems: 32</c>.</summary>
    public const int MaxParents = 32;

    private readonly MeshIndex _index;
    private readonly string _controllerName;

    public BackendStatuses(MeshSnapshot snapshot, MeshIndex index, string controllerName, IEnumerable<RouteAnalysis> routes)
    {
        _index = index;
        _controllerName = controllerName;
        TlsPolicies = [.. snapshot.BackendTlsPolicies.Select(TlsPolicy)];
        TrafficPolicies = [.. snapshot.BackendTrafficPolicies.Select(TrafficPolicy)];
        XBackends = XBackendsOf(snapshot, routes);
    }

    public IReadOnlyList<BackendPolicyStatus> TlsPolicies { get; }

    public IReadOnlyList<BackendPolicyStatus> TrafficPolicies { get; }

    public IReadOnlyList<XBackendStatus> XBackends { get; }

    // ---- BackendTLSPolicy (GEP-1897) ----

    private BackendPolicyStatus TlsPolicy(BackendTlsPolicy policy)
    {
        var compiled = _index.Tls(policy, policy.Spec.Validation);
        var refs = policy.Spec.Validation.CaCertificateRefs;
        var generation = policy.Metadata.Generation;
        var resolvedRefs = compiled.CaRefProblems.Count == 0
            ? new RouteCondition(RouteConditions.ResolvedRefs, RouteConditions.True, RouteConditions.ResolvedRefs,
                refs.Count == 0 ? "No caCertificateRefs to resolve (wellKnownCACertificates)." : $"caCertificateRefs resolved: {string.Join(", ", refs.Select(r => $"{r.Kind} {policy.Namespace}/{r.Name}"))}.",
                generation)
            : new RouteCondition(RouteConditions.ResolvedRefs, RouteConditions.False, compiled.CaRefProblems[0].Reason,
                $"{compiled.Message} Connections to the backends it covers fail (500) until every reference resolves (GEP-1897).", generation);
        return Status(policy, policy.Spec.TargetRefs, t => TlsAccepted(policy, t, compiled), resolvedRefs);
    }

    private RouteCondition TlsAccepted(BackendTlsPolicy policy, PolicyTargetReference target, TlsOriginationResult compiled)
    {
        var generation = policy.Metadata.Generation;
        RouteCondition Refused(string reason, string message) => new(RouteConditions.Accepted, RouteConditions.False, reason, message, generation);
        if (!CoreServiceRef.Is(target.Group, target.Kind))
        {
            return Refused(BackendConditions.Invalid,
                $"targetRef {target.Kind} {target.Name} (group \"{target.Group}\") is not a Service: in the mesh Weft applies BackendTLSPolicy to Services (an XBackend's TLS is its own spec.tls).");
        }

        var section = target.SectionName ?? "";
        if (_index.Service(policy.Namespace, target.Name) is not { } svc)
        {
            return Refused(BackendConditions.TargetNotFound, $"Service {policy.Namespace}/{target.Name} not found; a BackendTLSPolicy targets Services of its own namespace.");
        }

        if (section.Length > 0 && !svc.Spec.Ports.Any(p => p.Name == section))
        {
            return Refused(BackendConditions.TargetNotFound, $"Service {svc.Key} has no port named \"{section}\" ({MeshIndex.DescribePorts(svc)}); sectionName names a Service port.");
        }

        var what = section.Length == 0 ? $"Service {svc.Key}" : $"Service {svc.Key} port \"{section}\"";
        if (_index.TlsPolicy(svc.Key, section) is { } winner && !ReferenceEquals(winner, policy))
        {
            return Refused(RouteConditions.Conflicted, Conflict(policy, winner, what, "GEP-1897"));
        }

        if (compiled.Reason == RouteConditions.UnsupportedValue)
        {
            return Refused(BackendConditions.Invalid, compiled.Message!);
        }

        if (compiled.CaRefProblems.Count > 0 && compiled.UsableCaRefs == 0)
        {
            return Refused(BackendConditions.NoValidCaCertificate, $"No caCertificateRefs entry is usable, so connections to the backends of {what} fail (500): {compiled.Message}");
        }

        // A policy naming a port wins for it over this one for the whole Service (MeshIndex.ServiceTls).
        var taken = section.Length > 0 ? [] : svc.Spec.Ports
            .Where(p => !string.IsNullOrEmpty(p.Name) && _index.TlsPolicy(svc.Key, p.Name) is { } other && !ReferenceEquals(other, policy))
            .Select(p => $"\"{p.Name}\"")
            .ToList();
        var except = taken.Count == 0 ? "" : $" (except port(s) {string.Join(", ", taken)}, where a policy naming the port applies)";
        var message = compiled.Policy is { } tls
            ? $"The client's sidecar originates TLS to the endpoints of {what}{except}{MeshModel.Describe(tls)}."
            : $"Applies to {what}{except}, but a caCertificateRefs entry is unusable (see ResolvedRefs): connections there fail (500) until it is fixed.";
        return new RouteCondition(RouteConditions.Accepted, RouteConditions.True, RouteConditions.Accepted, message, generation);
    }

    // ---- XBackendTrafficPolicy (GEP-3388) ----

    private BackendPolicyStatus TrafficPolicy(XBackendTrafficPolicy policy) =>
        Status(policy, policy.Spec.TargetRefs, t => TrafficAccepted(policy, t), resolvedRefs: null);

    private RouteCondition TrafficAccepted(XBackendTrafficPolicy policy, PolicyTargetReference target)
    {
        var generation = policy.Metadata.Generation;
        RouteCondition Refused(string reason, string message) => new(RouteConditions.Accepted, RouteConditions.False, reason, message, generation);
        if (MeshIndex.TrafficTargetKind(target) is not { } kind)
        {
            return Refused(BackendConditions.Invalid,
                $"targetRef {target.Kind} {target.Name} (group \"{target.Group}\") is not a Service (group \"\") or an XBackend (group {GatewayApi.ExperimentalGroup}), the backends an XBackendTrafficPolicy applies to.");
        }

        var ns = policy.Namespace;
        var what = $"{kind} {ns}/{target.Name}";
        var exists = kind == CoreServiceRef.Kind ? _index.Service(ns, target.Name) is not null : _index.XBackend(ns, target.Name) is not null;
        if (!exists)
        {
            return Refused(BackendConditions.TargetNotFound, $"{what} not found; an XBackendTrafficPolicy targets backends of its own namespace.");
        }

        if (_index.TrafficPolicy(kind, ns, target.Name) is { } winner && !ReferenceEquals(winner, policy))
        {
            return Refused(RouteConditions.Conflicted, Conflict(policy, winner, what, "GEP-3388 gives no rule; Weft takes BackendTLSPolicy's"));
        }

        var traffic = _index.Traffic(kind, ns, target.Name);
        var gives = new List<string>(2);
        if (traffic.RetryBudget is { } budget)
        {
            gives.Add($"a retry budget of {budget.Percent}% of requests over {budget.Interval.TotalSeconds:0.###} s (503 past it)");
        }

        if (traffic.Session is { } session)
        {
            gives.Add($"session persistence by {(session.Type == SessionPersistencePolicy.Header ? "header" : "cookie")} {session.Name}");
        }

        var message = gives.Count == 0 ? $"Applies to {what}, which it gives neither a retry budget nor session persistence." : $"Gives {what} {string.Join(" and ", gives)}.";
        return new RouteCondition(RouteConditions.Accepted, RouteConditions.True, RouteConditions.Accepted, message, generation);
    }

    // ---- both policies ----

    /// <summary>One ancestor per targetRef: the target itself in the policy's namespace (a mesh has no Gateway), with its sectionName.</summary>
    private BackendPolicyStatus Status(KubeObject policy, IReadOnlyList<PolicyTargetReference> targets, Func<PolicyTargetReference, RouteCondition> accepted, RouteCondition? resolvedRefs)
    {
        var ancestors = new List<PolicyAncestorStatus>(targets.Count);
        foreach (var t in targets)
        {
            var ancestor = new ParentReference
            {
                Group = t.Group,
                Kind = t.Kind,
                Namespace = policy.Namespace,
                Name = t.Name,
                SectionName = string.IsNullOrEmpty(t.SectionName) ? null : t.SectionName,
            };
            ancestors.Add(new PolicyAncestorStatus(ancestor, _controllerName, resolvedRefs is null ? [accepted(t)] : [accepted(t), resolvedRefs]));
        }

        return new BackendPolicyStatus(policy.Kind, policy.Namespace, policy.Name, policy.Metadata.Generation, ancestors);
    }

    /// <summary>Why <paramref name="loser"/> does not apply to <paramref name="what"/>: the older policy wins, then the first by namespace/name.</summary>
    private static string Conflict(KubeObject loser, KubeObject winner, string what, string rule) =>
        $"{winner.Kind} {winner.Key} (created {Precedence.Stamp(winner.Metadata.CreationTimestamp)}) applies to {what} instead: of the policies on one target "
        + $"the oldest wins, then the first by namespace/name ({rule}); this one was created {Precedence.Stamp(loser.Metadata.CreationTimestamp)}.";

    // ---- XBackend ----

    private List<XBackendStatus> XBackendsOf(MeshSnapshot snapshot, IEnumerable<RouteAnalysis> routes)
    {
        // Per XBackend, the Services its routes are bound to, in route and parentRef order, each with those routes.
        var parents = new Dictionary<XBackend, List<(Service Service, List<string> Routes)>>(ReferenceEqualityComparer.Instance);
        foreach (var (route, bindings) in routes)
        {
            foreach (var backend in route.XBackends)
            {
                if (!parents.TryGetValue(backend, out var list))
                {
                    parents[backend] = list = [];
                }

                foreach (var binding in bindings.Where(b => b.Problem is null))
                {
                    var at = list.FindIndex(p => ReferenceEquals(p.Service, binding.Service));
                    if (at < 0 && list.Count < MaxParents)
                    {
                        list.Add((binding.Service!, [route.Display]));
                    }
                    else if (at >= 0 && !list[at].Routes.Contains(route.Display))
                    {
                        list[at].Routes.Add(route.Display);
                    }
                }
            }
        }

        var statuses = new List<XBackendStatus>(snapshot.XBackends.Count);
        foreach (var backend in snapshot.XBackends)
        {
            var own = ExternalBackends.Own(_index, backend);
            var generation = backend.Metadata.Generation;
            var entries = (parents.GetValueOrDefault(backend) ?? []).Select(p =>
            {
                var accepted = own.Reason is { } reason
                    ? new RouteCondition(RouteConditions.Accepted, RouteConditions.False, reason, own.Message!, generation)
                    : new RouteCondition(RouteConditions.Accepted, RouteConditions.True, RouteConditions.Accepted,
                        $"{string.Join(", ", p.Routes)} on Service {p.Service.Key} {(p.Routes.Count == 1 ? "sends" : "send")} traffic to {MeshModel.Describe(own.External!)}.", generation);
                var parentRef = new ParentReference { Group = CoreServiceRef.Group, Kind = CoreServiceRef.Kind, Namespace = p.Service.Namespace, Name = p.Service.Name };
                return new RouteParentStatus(parentRef, _controllerName, [accepted]);
            });
            statuses.Add(new XBackendStatus(backend.Namespace, backend.Name, generation, [.. entries]));
        }

        return statuses;
    }
}
