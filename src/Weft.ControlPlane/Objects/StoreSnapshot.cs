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
        new() { Version = version, Objects = objects, Mesh = MeshSnapshot.From(objects) };

    /// <summary>
    /// This snapshot with objects swapped for others of the same key, each in its place: <paramref name="objects"/> is
    /// the whole list with the swaps made. The mesh lists without a swapped object stay the same instances, so that the
    /// translator sees at once what did not change (<see cref="MeshModel.Update"/>).
    /// </summary>
    internal StoreSnapshot Replacing(long version, IReadOnlyList<KubeObject> objects, IReadOnlyList<(KubeObject Old, KubeObject New)> swaps)
    {
        var mesh = Mesh;
        foreach (var (old, swapped) in swaps)
        {
            mesh = (old, swapped) switch
            {
                (Service o, Service n) => mesh with { Services = Swap(mesh.Services, o, n) },
                (EndpointSlice o, EndpointSlice n) => mesh with { EndpointSlices = Swap(mesh.EndpointSlices, o, n) },
                (Route o, Route n) => mesh with { Routes = Swap(mesh.Routes, o, n) },
                (ReferenceGrant o, ReferenceGrant n) => mesh with { ReferenceGrants = Swap(mesh.ReferenceGrants, o, n) },
                (Namespace o, Namespace n) => mesh with { Namespaces = Swap(mesh.Namespaces, o, n) },
                (Pod o, Pod n) => mesh with { Pods = Swap(mesh.Pods, o, n) },
                (ServiceAccount o, ServiceAccount n) => mesh with { ServiceAccounts = Swap(mesh.ServiceAccounts, o, n) },
                (AuthorizationPolicy o, AuthorizationPolicy n) => mesh with { AuthorizationPolicies = Swap(mesh.AuthorizationPolicies, o, n) },
                (XBackend o, XBackend n) => mesh with { XBackends = Swap(mesh.XBackends, o, n) },
                (ConfigMap o, ConfigMap n) => mesh with { ConfigMaps = Swap(mesh.ConfigMaps, o, n) },
                (BackendTlsPolicy o, BackendTlsPolicy n) => mesh with { BackendTlsPolicies = Swap(mesh.BackendTlsPolicies, o, n) },
                (XBackendTrafficPolicy o, XBackendTrafficPolicy n) => mesh with { BackendTrafficPolicies = Swap(mesh.BackendTrafficPolicies, o, n) },
                _ => mesh,
            };
        }

        return new() { Version = version, Objects = objects, Mesh = mesh };
    }

    private static T[] Swap<T>(IReadOnlyList<T> list, T old, T swapped)
        where T : class
    {
        var result = list.ToArray();
        for (var i = 0; i < result.Length; i++)
        {
            if (ReferenceEquals(result[i], old))
            {
                result[i] = swapped;
                return result;
            }
        }

        throw new InvalidOperationException($"{ObjectStore.KeyOf((KubeObject)(object)old)} is not in the snapshot it is swapped in");
    }
}
