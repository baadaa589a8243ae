using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>One (route, rule, match) entry competing for a request (gamma-spec E1 / K1).</summary>
internal sealed record RuleCandidate(AnalyzedRoute Route, AnalyzedRule Rule, int MatchIndex)
{
    public MatchPolicy Match => Rule.Matches[MatchIndex];

    public RuleOrigin Origin => new()
    {
        RouteKind = Route.Route.Kind,
        RouteNamespace = Route.Route.Namespace,
        RouteName = Route.Route.Name,
        RuleIndex = Rule.Index,
        RuleName = Rule.Name,
        MatchIndex = MatchIndex,
    };

    public string Display => $"{Route.Display} {Rule.Display} matches[{MatchIndex}]";
}
