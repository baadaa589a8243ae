using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>
/// The authorization decision (issue 14), pure and table-driven like the route planners: DENY policies first (any
/// matching rule denies), then ALLOW policies (when any applies to the request, a matching rule is needed), then the
/// workload's default inbound policy. The caller's identity is <see cref="AuthorizationRequest.PeerIdentity"/> only:
/// headers are read by explicit header rules and route matches, never for identity. Every decision is built when the
/// table is, so deciding allocates nothing (a request with a query string that a route scope's query match reads, and
/// a workload with more than 64 ALLOW policies, excepted).
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
        var input = new AuthorizationInput(request);

        var deny = table.Deny;
        for (var p = 0; p < deny.Length; p++)
        {
            if (deny[p].Applies(input, headers) && FirstMatch(deny[p].Rules, input, deny: true, headers) is { } denied)
            {
                return denied;
            }
        }

        var allow = table.Allow;
        var applied = 0UL;
        var any = false;
        List<int>? many = null;
        for (var p = 0; p < allow.Length; p++)
        {
            var policy = allow[p];
            if (!policy.Applies(input, headers))
            {
                continue;
            }

            if (FirstMatch(policy.Rules, input, deny: false, headers) is { } allowed)
            {
                return allowed;
            }

            any = true;
            if (table.UsesMask)
            {
                applied |= AuthorizationTable.Bit(policy.AllowIndex);
            }
            else
            {
                (many ??= []).Add(policy.AllowIndex);
            }
        }

        if (any)
        {
            return many is null ? table.NotAllowed(applied) : table.NotAllowed(many);
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
