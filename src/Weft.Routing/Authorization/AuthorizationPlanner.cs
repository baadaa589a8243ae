using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>
/// The authorization decision (issue 14), pure and table-driven like the route planners: DENY policies first (any
/// matching rule in scope denies), then ALLOW policies (when any targets the workload, a matching rule in its scope is
/// needed), then the workload's default inbound policy. The caller's identity is <see cref="AuthorizationRequest.PeerIdentity"/> only:
/// headers are read by explicit header rules and route matches, never for identity. Every decision is built when the
/// table is, so deciding allocates nothing (a path that needs canonicalising, and a route scope's query match, excepted).
/// </summary>
public static class AuthorizationPlanner
{
    /// <param name="table">The workload's compiled inbound policy.</param>
    /// <param name="request">The request or connection.</param>
    /// <param name="headers">The request's headers (unused for L4).</param>
    public static AuthorizationDecision Decide<THeaders>(AuthorizationTable table, in AuthorizationRequest request, in THeaders headers)
        where THeaders : IHeaderLookup
    {
        ArgumentNullException.ThrowIfNull(table);

        // At an l4 workload every request is decided as its connection (source and port): an l7 caller's sidecar sends it
        // HTTP, an l4 caller's the same request tunnelled, and the policy must not depend on which (L7RuleOnL4Workload).
        var input = table.L4Only ? new AuthorizationInput(new AuthorizationRequest(request.PeerIdentity, request.Port)) : new AuthorizationInput(request);

        var deny = table.Deny;
        for (var p = 0; p < deny.Length; p++)
        {
            if (deny[p].Applies(input, headers) && FirstMatch(deny[p].Rules, input, deny: true, headers) is { } denied)
            {
                return denied;
            }
        }

        // When any ALLOW policy targets the workload, what no ALLOW rule allows is denied (issue 14, as Istio's ALLOW):
        // a Service or route target narrows what its rules can allow, not what the workload denies.
        var allow = table.Allow;
        for (var p = 0; p < allow.Length; p++)
        {
            var policy = allow[p];
            if (policy.Applies(input, headers) && FirstMatch(policy.Rules, input, deny: false, headers) is { } allowed)
            {
                return allowed;
            }
        }

        if (table.NotAllowed is { } notAllowed)
        {
            return notAllowed;
        }

        return table.Default(input.Identity);
    }

    private static AuthorizationDecision? FirstMatch<THeaders>(AuthorizationRuleMatcher[] rules, in AuthorizationInput input, bool deny, in THeaders headers)
        where THeaders : IHeaderLookup
    {
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].IsMatch(input, deny, headers))
            {
                return rules[i].Decision;
            }
        }

        return null;
    }
}
