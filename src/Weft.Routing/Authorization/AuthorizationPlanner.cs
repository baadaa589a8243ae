using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>
/// The authorization decision (issue 14), pure and table-driven like the route planners: DENY policies first (any
/// matching rule denies), then ALLOW policies (when any applies to the request, a matching rule is needed), then the
/// workload's default inbound policy. The caller's identity is <see cref="AuthorizationRequest.PeerIdentity"/> only.
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
        throw new NotImplementedException("contract stub: the Routing helper implements this");
    }
}
