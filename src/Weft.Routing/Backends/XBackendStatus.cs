namespace Weft.Routing.Backends;

/// <summary>
/// An XBackend's <c>status.parents[]</c> as Weft writes it: one entry per Service parent of a mesh route that refers to
/// it (at most 32), each with its Accepted condition. Empty when no route refers to it: "not associated with any parents".
/// </summary>
public sealed record XBackendStatus(string Namespace, string Name, long Generation, IReadOnlyList<RouteParentStatus> Parents);
