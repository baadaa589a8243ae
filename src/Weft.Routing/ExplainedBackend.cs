using Weft.Routing.Planning;

namespace Weft.Routing;

/// <summary>
/// A backend of the chosen rule with its share of traffic (weight / sum, 0..1) and what the planner decides for the
/// requests (or connections) that fall on it: <paramref name="Outcome"/> and its words in <paramref name="Note"/>.
/// </summary>
public sealed record ExplainedBackend(Policy.BackendPolicy Backend, double Share, string Note, PlanOutcome? Outcome = null);
