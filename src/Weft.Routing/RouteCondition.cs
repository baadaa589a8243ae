namespace Weft.Routing;

/// <summary>A route condition (gamma-spec H2). <see cref="Status"/> is "True", "False" or "Unknown".</summary>
public sealed record RouteCondition(string Type, string Status, string Reason, string Message, long ObservedGeneration);
