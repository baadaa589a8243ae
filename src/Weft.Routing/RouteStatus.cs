namespace Weft.Routing;

/// <summary>A route's <c>status.parents[]</c> as Weft writes it (gamma-spec H1): one entry per Service parentRef.</summary>
public sealed record RouteStatus(string Kind, string Namespace, string Name, long Generation, IReadOnlyList<RouteParentStatus> Parents);
