using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>Which routes apply to one (client namespace, Service port) and why (gamma-spec B3, D1).</summary>
internal sealed record Selection(
    string View,
    string ViewReason,
    IReadOnlyList<AnalyzedRoute> Producer,
    IReadOnlyList<AnalyzedRoute> Consumer,
    IReadOnlyList<AnalyzedRoute> Applied,
    string? ConflictDecision)
{
    public static readonly Selection Empty = new(PolicyView.None, "", [], [], [], null);
}
