using Weft.Api.Model;
using Weft.Routing;

namespace Weft.ControlPlane.Objects;

/// <summary>An immutable view of the <see cref="ObjectStore"/> at one version.</summary>
public sealed record StoreSnapshot
{
    public static readonly StoreSnapshot Empty = Create(0, []);

    public required long Version { get; init; }

    /// <summary>Every object, ordered by kind/namespace/name.</summary>
    public required IReadOnlyList<KubeObject> Objects { get; init; }

    /// <summary>The objects sorted into the lists the GAMMA rules read.</summary>
    public required MeshSnapshot Mesh { get; init; }

    internal static StoreSnapshot Create(long version, IReadOnlyList<KubeObject> objects) =>
        new() { Version = version, Objects = objects, Mesh = ToMesh(objects) };

    private static MeshSnapshot ToMesh(IReadOnlyList<KubeObject> objects) => new()
    {
        Services = [.. objects.OfType<Service>()],
        EndpointSlices = [.. objects.OfType<EndpointSlice>()],
        Routes = [.. objects.OfType<Route>()],
        ReferenceGrants = [.. objects.OfType<ReferenceGrant>()],
        Namespaces = [.. objects.OfType<Namespace>()],
        Pods = [.. objects.OfType<Pod>()],
        ServiceAccounts = [.. objects.OfType<ServiceAccount>()],
    };
}
