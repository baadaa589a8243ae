namespace Weft.Routing.Internal;

/// <summary>Something wrong with a route: a condition reason (gamma-spec H2) and a message saying what and how to fix it.</summary>
internal sealed record Problem(string Reason, string Message);
