using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>A compiled policy with what <c>weft explain</c> needs to say why: the selection and the rule candidates in policy order.</summary>
internal sealed record CompiledDestination(DestinationPolicy Policy, Selection Selection, IReadOnlyList<RuleCandidate> Candidates);
