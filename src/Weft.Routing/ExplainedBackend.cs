using Weft.Routing.Authorization;
using Weft.Routing.Planning;

namespace Weft.Routing;

/// <summary>
/// A backend of the chosen rule with its share of traffic (weight / sum, 0..1) and what the planner decides for the
/// requests (or connections) that fall on it: <paramref name="Outcome"/> and its words in <paramref name="Note"/>; with
/// the caller's identity known, what each of its pods' sidecars would decide (<paramref name="Authorization"/>).
/// </summary>
public sealed record ExplainedBackend(
    Policy.BackendPolicy Backend, double Share, string Note, PlanOutcome? Outcome = null, IReadOnlyList<ExplainedAuthorization>? Authorization = null);

/// <summary>The authorization decision of the sidecar of <paramref name="Pod"/> ("namespace/name") for the explained request.</summary>
public sealed record ExplainedAuthorization(string Pod, AuthorizationDecision Decision);
