using System.Net;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>One ready endpoint of a Service port as the local kube-proxy reaches it.</summary>
/// <param name="Address">The pod IP.</param>
/// <param name="TargetPort">The app port (the Service port's targetPort resolved for the pod).</param>
/// <param name="Sidecar">
/// True when the pod has a sidecar (its <c>weft.dev/mesh</c> level is not <c>off</c>). In process isolation the connection
/// then goes to the sidecar's inbound port in plaintext, after a PROXY v1 line naming <see cref="TargetPort"/>; in network
/// namespaces, as to a pod without a sidecar, straight to <see cref="TargetPort"/>, where the pod's capture rules hand it
/// to the sidecar.
/// </param>
internal sealed record KubeProxyEndpoint(IPAddress Address, int TargetPort, bool Sidecar);

/// <summary>
/// What the local kube-proxy serves, derived (purely) from the store's objects: for every Service with a ClusterIP of the
/// run's range (<see cref="AddressPlan.IsClusterIP"/>; by default <c>127.0.0.0/8</c>), not headless, not ExternalName, and every TCP port, the frontend <c>ClusterIP:port</c> and its
/// ready endpoints from the Service's EndpointSlices (ready unless <c>conditions.ready</c> is false; the slice port named
/// after the Service port gives the target port), in a stable order.
/// </summary>
internal sealed class KubeProxyTable
{
    public static readonly KubeProxyTable Empty = new(new Dictionary<IPEndPoint, IReadOnlyList<KubeProxyEndpoint>>());

    private KubeProxyTable(IReadOnlyDictionary<IPEndPoint, IReadOnlyList<KubeProxyEndpoint>> frontends)
    {
        Frontends = frontends;
    }

    /// <summary>ClusterIP:port → its ready endpoints (possibly none: the frontend still listens and closes connections).</summary>
    public IReadOnlyDictionary<IPEndPoint, IReadOnlyList<KubeProxyEndpoint>> Frontends { get; }

    public IReadOnlyList<KubeProxyEndpoint> EndpointsOf(IPEndPoint frontend) => Frontends.GetValueOrDefault(frontend) ?? [];

    public static KubeProxyTable Build(IEnumerable<KubeObject> objects, Func<string?, bool>? isClusterIP = null)
    {
        ArgumentNullException.ThrowIfNull(objects);
        isClusterIP ??= AddressPlan.IsLoopback;
        var all = objects as IReadOnlyCollection<KubeObject> ?? [.. objects];
        var pods = all.OfType<Pod>().ToDictionary(p => p.Key, StringComparer.Ordinal);
        var podsByIP = new Dictionary<string, Pod>(StringComparer.Ordinal);
        foreach (var pod in pods.Values.Where(p => !string.IsNullOrEmpty(p.PodIP)))
        {
            podsByIP.TryAdd(pod.PodIP!, pod);
        }

        var slices = all.OfType<EndpointSlice>().Where(s => s.ServiceName is not null)
            .GroupBy(s => $"{s.Namespace}/{s.ServiceName}", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var frontends = new Dictionary<IPEndPoint, IReadOnlyList<KubeProxyEndpoint>>();
        foreach (var service in all.OfType<Service>())
        {
            if (service.IsHeadless || service.Spec.Type == "ExternalName" || !isClusterIP(service.Spec.ClusterIP))
            {
                continue;
            }

            var clusterIP = IPAddress.Parse(service.Spec.ClusterIP!);
            foreach (var port in service.Spec.Ports.Where(p => p.Protocol is null or "" or "TCP"))
            {
                var endpoints = new List<KubeProxyEndpoint>();
                foreach (var slice in slices.GetValueOrDefault(service.Key) ?? [])
                {
                    if (slice.AddressType != "IPv4" || slice.Ports.FirstOrDefault(p => (p.Name ?? "") == (port.Name ?? ""))?.Port is not { } target)
                    {
                        continue;
                    }

                    foreach (var endpoint in slice.Endpoints.Where(e => e.Conditions.Ready != false))
                    {
                        foreach (var address in endpoint.Addresses)
                        {
                            if (!IPAddress.TryParse(address, out var ip) || endpoints.Any(e => e.Address.Equals(ip) && e.TargetPort == target))
                            {
                                continue;
                            }

                            var pod = endpoint.TargetRef is { Name: { } name } tr && tr.Kind is null or "Pod"
                                ? pods.GetValueOrDefault($"{tr.Namespace ?? slice.Namespace}/{name}")
                                : podsByIP.GetValueOrDefault(address);
                            endpoints.Add(new KubeProxyEndpoint(ip, target, pod is not null && MeshLevels.Of(pod) != MeshLevels.Off));
                        }
                    }
                }

                frontends[new IPEndPoint(clusterIP, port.Port)] = endpoints;
            }
        }

        return new KubeProxyTable(frontends);
    }
}
