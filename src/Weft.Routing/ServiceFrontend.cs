using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>
/// Where traffic addressed to (host, port) goes, as <see cref="MeshModel.ResolveFrontend"/> recognised it: a Service port
/// (by ClusterIP or name), or a pod (by pod IP), in which case <see cref="Service"/> is a Service selecting that pod, if any.
/// </summary>
public sealed record ServiceFrontend
{
    public required FrontendAddress AddressedBy { get; init; }

    /// <summary>The Service's namespace, or the pod's for a pod IP.</summary>
    public required string Namespace { get; init; }

    /// <summary>The Service's name; for a pod IP the name of a Service selecting the pod, or "" when none does.</summary>
    public required string Name { get; init; }

    /// <summary>The Service port (spec.ports[].port); for a pod IP, the pod port addressed.</summary>
    public required int Port { get; init; }

    public Service? Service { get; init; }

    /// <summary>The Service port addressed; for a pod IP, the Service port targeting that pod port, if any.</summary>
    public ServicePort? ServicePort { get; init; }

    /// <summary>For a pod IP: the address, and the pod as "namespace/name" when known.</summary>
    public string? PodAddress { get; init; }
    public string? Pod { get; init; }

    public string Key => $"{Namespace}/{Name}:{Port}";
}
