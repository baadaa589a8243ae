using Weft.Api.Model;
using Weft.Bench.Scale;
using Weft.Routing;

namespace Weft.Bench;

/// <summary>
/// The translator-at-scale cluster of issue 6, for the in-process translator benchmarks: the scale benchmark's 10k
/// cluster (<see cref="ScaleCluster"/>: 100 namespaces × 100 Services, 100,000 endpoints, 10,000 HTTPRoutes) without its
/// proxies' pods, and 1,000 subscriptions to compile policies for.
/// </summary>
public static class SyntheticCluster
{
    public const int Namespaces = 100;

    private static readonly ScaleCluster Cluster = new(Namespaces, proxies: 0);

    public static IReadOnlyList<KubeObject> Objects() => Cluster.Objects();

    /// <summary>The same objects (same instances) with route ns000/route000 replaced by a new revision: one route edited.</summary>
    public static MeshSnapshot WithEditedRoute(IReadOnlyList<KubeObject> objects, int revision)
    {
        var edited = objects.ToArray();
        edited[Cluster.IndexOfRoute(0, 0)] = Cluster.Route(0, 0, revision);
        return MeshSnapshot.From(edited);
    }

    /// <summary>1,000 (client namespace, host, port) subscriptions spread over namespaces, Services and both ports.</summary>
    public static IReadOnlyList<(string ClientNamespace, string Host, int Port)> Subscriptions(int count = 1000)
    {
        var result = new List<(string, string, int)>(count);
        for (var j = 0; j < count; j++)
        {
            var ns = (j * 7) % Namespaces;
            var svc = (j * 13) % ScaleCluster.ServicesPerNamespace;
            result.Add((ScaleCluster.Ns(j % Namespaces), $"{ScaleCluster.Svc(svc)}.{ScaleCluster.Ns(ns)}", j % 4 == 3 ? ScaleCluster.AdminPort : ScaleCluster.HttpPort));
        }

        return result;
    }
}
