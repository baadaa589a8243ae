using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// What a <see cref="KubeInformer"/> holds at one moment, swapped as one: the objects by <c>namespace/name</c>, the
/// version of the resource they were read at, and the newest resourceVersion seen (an event's or a bookmark's).
/// </summary>
public sealed record InformerSnapshot(ImmutableDictionary<string, JsonObject> Objects, string Version, string ResourceVersion);
