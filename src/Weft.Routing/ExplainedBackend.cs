using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>A backend of the chosen rule with its share of traffic (weight / sum, 0..1) and what its share gets.</summary>
public sealed record ExplainedBackend(BackendPolicy Backend, double Share, string Note);
