namespace Weft.Routing;

/// <summary>A route bound to the explained Service port: its group (producer or consumer) and whether it applied.</summary>
public sealed record ExplainedRoute(string Kind, string Namespace, string Name, string Group, bool Applied, string Note);
