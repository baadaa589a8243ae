namespace Weft.Routing.Backends;

/// <summary>
/// A BackendTLSPolicy's or XBackendTrafficPolicy's (<see cref="Kind"/>) status as Weft writes it (GEP-713 policy status):
/// one <c>status.ancestors[]</c> entry per targetRef. A mesh has no Gateway, so the ancestor is the target itself.
/// </summary>
public sealed record BackendPolicyStatus(string Kind, string Namespace, string Name, long Generation, IReadOnlyList<PolicyAncestorStatus> Ancestors);
