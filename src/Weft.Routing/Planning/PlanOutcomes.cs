using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>What each <see cref="PlanOutcome"/> means, in the words of the rule that decides it (for logs and <c>weft explain</c>).</summary>
public static class PlanOutcomes
{
    /// <summary>True when the plan sends the request or connection on (to a rule's backend or to the Service's own endpoints).</summary>
    public static bool Forwards(this PlanOutcome outcome) => outcome is PlanOutcome.Forward or PlanOutcome.ForwardToService;

    /// <summary>The gamma-spec rule that decides <paramref name="outcome"/>.</summary>
    public static string Rule(this PlanOutcome outcome) => outcome switch
    {
        PlanOutcome.Forward => "gamma-spec F2",
        PlanOutcome.ForwardToService => "gamma-spec C1",
        PlanOutcome.NoService => "gamma-spec C1",
        PlanOutcome.NoRuleMatched => "gamma-spec C2",
        PlanOutcome.Redirect => "gamma-spec G6",
        PlanOutcome.NoBackends => "gamma-spec F3",
        _ => "gamma-spec F4",
    };

    /// <summary>
    /// What the picked backend's share gets, for requests and connections alike: forwarded, or (gamma-spec F4) refused
    /// because the backend is invalid or has no ready endpoints.
    /// </summary>
    /// <param name="backend">The picked backend.</param>
    /// <param name="index">Its index among the rule's backends; -1 for the Service's own (C1).</param>
    internal static PlanOutcome OfPicked(BackendPolicy backend, int index) => backend switch
    {
        { Invalid: not null } => PlanOutcome.InvalidBackend,
        { External: not null } => index < 0 ? PlanOutcome.ForwardToService : PlanOutcome.Forward,
        { Endpoints.Count: 0 } => PlanOutcome.NoReadyEndpoints,
        _ => index < 0 ? PlanOutcome.ForwardToService : PlanOutcome.Forward,
    };
}
