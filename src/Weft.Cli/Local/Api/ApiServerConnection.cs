using k8s;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Local.Api;

/// <summary>
/// Which API server <c>weft up --kubeconfig</c> plays kubelet and controller-manager for: a kubeconfig file and,
/// optionally, one of its contexts (default its current-context). The namespace is where <c>weft controller</c> keeps
/// its Lease, mesh root Secret and trust-bundle ConfigMap.
/// </summary>
internal sealed record ApiServerConnection
{
    public required string Kubeconfig { get; init; }

    public string? Context { get; init; }

    public string Namespace { get; init; } = WeftInstallation.DefaultNamespace;

    /// <summary>A client for the API server (the caller disposes it).</summary>
    public Kubernetes CreateClient() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig, Context));
}
