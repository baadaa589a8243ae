using System.Text.Json.Nodes;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>One page of a list: its items (typed JSON), the list's resourceVersion, and the continue token of the next page.</summary>
public sealed record KubeList(IReadOnlyList<JsonObject> Items, string ResourceVersion, string? Continue);
