namespace Weft.Routing.Authorization;

/// <summary>
/// An <see cref="InboundPolicy"/> compiled for evaluation (regexes built, lists turned into sets), as
/// <see cref="Matching.RouteTable"/> is for a destination policy. Immutable; the sidecar swaps it atomically.
/// </summary>
public sealed class AuthorizationTable
{
    private AuthorizationTable(InboundPolicy policy) => Policy = policy;

    public InboundPolicy Policy { get; }

    /// <exception cref="Matching.RouteTableException">A regex or match in the policy cannot be compiled.</exception>
    public static AuthorizationTable Build(InboundPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        throw new NotImplementedException("contract stub: the Routing helper implements this");
    }
}
