using System.Globalization;
using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>
/// Derives EndpointSlices from Services and pods as Kubernetes' EndpointSlice controller does: for each Service with a
/// selector, the pods of its namespace whose labels match it and that have an IP, one endpoint each (ready per the pod's
/// readiness, targetRef the Pod), grouped into one slice per distinct resolved port set. Ports keep the Service port's
/// name, protocol and appProtocol; the number is the targetPort resolved against the pod (a named targetPort is looked up
/// in the pod's container ports, and a pod without that name lacks that port). Services without a selector (and
/// ExternalName Services) get no slices; their endpoints are whatever the user wrote.
/// </summary>
internal static class EndpointSliceController
{
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ManagedBy = "weft-local-cluster";
    public const string NodeName = "weft-local";

    public static IReadOnlyList<EndpointSlice> Derive(IEnumerable<Service> services, IReadOnlyList<PodStatus> pods)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(pods);
        var slices = new List<EndpointSlice>();
        foreach (var service in services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            slices.AddRange(DeriveFor(service, pods));
        }

        return slices;
    }

    public static IReadOnlyList<EndpointSlice> DeriveFor(Service service, IReadOnlyList<PodStatus> pods)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(pods);
        if (service.Spec.Selector is not { Count: > 0 } selector || service.Spec.Type == "ExternalName")
        {
            return [];
        }

        // Group the selected pods by their resolved port list, as the controller does (one slice per port mapping).
        var groups = new Dictionary<string, (List<EndpointPort> Ports, List<Endpoint> Endpoints)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var status in pods.OrderBy(p => p.Pod.Name, StringComparer.Ordinal))
        {
            var pod = status.Pod;
            if (pod.Namespace != service.Namespace || string.IsNullOrEmpty(pod.PodIP) || !Matches(selector, pod.Metadata.Labels))
            {
                continue;
            }

            var ports = ResolvePorts(service, pod);
            var key = string.Join(',', ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));
            if (!groups.TryGetValue(key, out var group))
            {
                group = (ports, []);
                groups[key] = group;
                order.Add(key);
            }

            group.Endpoints.Add(new Endpoint
            {
                Addresses = [pod.PodIP],
                Conditions = new EndpointConditions { Ready = status.Ready, Serving = status.Ready, Terminating = false },
                NodeName = NodeName,
                TargetRef = new ObjectReference { Kind = "Pod", Namespace = pod.Namespace, Name = pod.Name },
            });
        }

        var slices = new List<EndpointSlice>(order.Count);
        for (var i = 0; i < order.Count; i++)
        {
            var (ports, endpoints) = groups[order[i]];
            slices.Add(new EndpointSlice
            {
                ApiVersion = "discovery.k8s.io/v1",
                Metadata = new ObjectMeta
                {
                    Name = order.Count == 1 ? $"{service.Name}-local" : $"{service.Name}-local-{i.ToString(CultureInfo.InvariantCulture)}",
                    Namespace = service.Namespace,
                    Labels = new Dictionary<string, string>
                    {
                        [EndpointSlice.ServiceNameLabel] = service.Name,
                        [ManagedByLabel] = ManagedBy,
                    },
                },
                AddressType = "IPv4",
                Endpoints = endpoints,
                Ports = ports,
            });
        }

        return slices;
    }

    /// <summary>Label selector semantics of <c>spec.selector</c>: every key present with the same value.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    /// <summary>The Service's ports as this pod serves them; ports whose named targetPort the pod lacks are left out.</summary>
    public static List<EndpointPort> ResolvePorts(Service service, Pod pod)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(pod);
        var ports = new List<EndpointPort>(service.Spec.Ports.Count);
        foreach (var port in service.Spec.Ports)
        {
            if (ResolveTargetPort(port, pod) is { } number)
            {
                ports.Add(new EndpointPort { Name = port.Name ?? "", Port = number, Protocol = port.Protocol, AppProtocol = port.AppProtocol });
            }
        }

        return ports;
    }

    /// <summary>targetPort: a number as is; unset means the Service port; a name is a container port of the pod.</summary>
    public static int? ResolveTargetPort(ServicePort port, Pod pod)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(pod);
        if (port.TargetPort.Number is { } number)
        {
            return number;
        }

        if (string.IsNullOrEmpty(port.TargetPort.Text))
        {
            return port.Port;
        }

        if (int.TryParse(port.TargetPort.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        foreach (var container in pod.Spec.Containers)
        {
            foreach (var containerPort in container.Ports)
            {
                if (containerPort.Name == port.TargetPort.Text && containerPort.Protocol == port.Protocol)
                {
                    return containerPort.Port;
                }
            }
        }

        return null;
    }
}
