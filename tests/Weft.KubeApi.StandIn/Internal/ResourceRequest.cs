namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A request for a resource: its type, the version it is read or written at, which object or subresource, and whether it
/// is a dry run (<c>dryRun=All</c>: everything is done and answered, nothing is stored).
/// </summary>
internal sealed record ResourceRequest(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource, bool DryRun = false)
{
    public ObjectKey Key => new(Namespace ?? "", Name ?? "");
}
