using Weft.Api.Model;
using Weft.Routing;

namespace Weft.ControlPlane.Objects;

/// <summary>An immutable view of the <see cref="ObjectStore"/> at one version.</summary>
public sealed record StoreSnapshot
{
    public static readonly StoreSnapshot Empty = Create(0, []);

    public required long Version { get; init; }

    /// <summary>Every object, ordered by kind/namespace/name; in chunks, shared with the snapshots made from this one.</summary>
    public required ChunkedList<KubeObject> Objects { get; init; }

    /// <summary>The objects sorted into the lists the GAMMA rules read.</summary>
    public required MeshSnapshot Mesh { get; init; }

    internal static StoreSnapshot Create(long version, IReadOnlyList<KubeObject> objects) =>
        new() { Version = version, Objects = ChunkedList.Of(objects), Mesh = MeshSnapshot.From(objects) };

    /// <summary>A snapshot whose mesh lists were made from the last one's (<see cref="MeshSnapshot.Changing"/>), not sorted out again.</summary>
    internal static StoreSnapshot Changing(long version, ChunkedList<KubeObject> objects, MeshSnapshot mesh) =>
        new() { Version = version, Objects = objects, Mesh = mesh };

    /// <summary>
    /// This snapshot with objects swapped for others of the same key, each in its place (<paramref name="swaps"/>: where
    /// in <see cref="Objects"/>, and the new object); the mesh lists are swapped alike (<see cref="MeshSnapshot.Replacing"/>).
    /// </summary>
    internal StoreSnapshot Replacing(long version, IReadOnlyList<(int At, KubeObject New)> swaps) =>
        new() { Version = version, Objects = Objects.SetItems(swaps), Mesh = Mesh.Replacing([.. swaps.Select(s => (Objects[s.At], s.New))]) };
}
