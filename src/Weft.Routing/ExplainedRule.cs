using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>A rule that matched the request: where it came from, its index in the policy, and (for a loser) the precedence step that beat it.</summary>
public sealed record ExplainedRule(RuleOrigin Origin, MatchPolicy Match, int PolicyIndex, string? LostBecause);
