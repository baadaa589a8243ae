namespace Weft.KubeApi.StandIn.Internal;

/// <summary>A request for a resource: its type, the version it is read or written at, and which object or subresource.</summary>
internal sealed record ResourceRequest(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource)
{
    public ObjectKey Key => new(Namespace ?? "", Name ?? "");
}
