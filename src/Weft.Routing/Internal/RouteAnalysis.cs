using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>A route as a model holds it: its analysis and the parents it binds to.</summary>
internal sealed record RouteAnalysis(AnalyzedRoute Route, List<ParentBinding> Parents);
