using System.Net;
using k8s;
using Microsoft.Extensions.Logging;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>How <c>weft controller</c> runs.</summary>
public sealed record KubeControllerOptions
{
    /// <summary>The API client (from in-cluster credentials or a kubeconfig).</summary>
    public required IKubernetes Client { get; init; }

    /// <summary>Weft's own namespace: the Lease, the CA Secret and the trust-bundle ConfigMap live there.</summary>
    public string Namespace { get; init; } = WeftInstallation.DefaultNamespace;

    /// <summary>This replica's name in the Lease (the pod name in a cluster).</summary>
    public required string Identity { get; init; }

    /// <summary>The controllerName of the status entries this controller owns, and of the XMesh it accepts.</summary>
    public string ControllerName { get; init; } = MeshModel.DefaultControllerName;

    public IReadOnlyCollection<string> SupportedFeatures { get; init; } = MeshFeatures.Supported;

    public string LeaseName { get; init; } = WeftInstallation.ControllerName;

    public string CaSecretName { get; init; } = WeftInstallation.CaSecretName;

    public string TrustBundleConfigMap { get; init; } = WeftInstallation.TrustBundleConfigMapName;

    /// <summary>The audience a sidecar's projected token is issued for, checked by TokenReview.</summary>
    public string TokenAudience { get; init; } = WeftInstallation.TokenAudience;

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>The mesh's default inbound policy (<see cref="ControlPlaneOptions.DefaultInboundPolicy"/>).</summary>
    public string DefaultInboundPolicy { get; init; } = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated;

    /// <summary>The mesh's default outbound policy (<see cref="ControlPlaneOptions.DefaultOutboundPolicy"/>).</summary>
    public string DefaultOutboundPolicy { get; init; } = Weft.Routing.OutboundPolicies.AllowAny;

    public string ListenAddress { get; init; } = "0.0.0.0";

    /// <summary>The discovery port; 0 lets the OS choose (tests).</summary>
    public int Port { get; init; } = WeftInstallation.ControllerPort;

    /// <summary>The controller's Service name: the serving certificate names <c>SERVICE.NAMESPACE.svc</c> and its cluster-domain form.</summary>
    public string ServiceName { get; init; } = WeftInstallation.ControllerName;

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>More DNS names or IP addresses for the serving certificate.</summary>
    public IReadOnlyList<string> ExtraServingNames { get; init; } = [];

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the root Secret and the trust-bundle ConfigMap are checked (and put back when deleted).</summary>
    public TimeSpan RootCheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The sidecar injector served at <c>/inject</c> on the discovery port; null serves none.</summary>
    public Injection.InjectorOptions? Injector { get; init; }

    /// <summary>The MutatingWebhookConfiguration whose caBundle the controller keeps equal to the mesh trust bundle.</summary>
    public string WebhookConfigurationName { get; init; } = WeftInstallation.WebhookConfigurationName;

    public KubeInformerOptions? Informers { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider? Time { get; init; }

    internal IReadOnlyList<string> ServingDnsNames() =>
    [
        $"{ServiceName}.{Namespace}.svc",
        $"{ServiceName}.{Namespace}.svc.{ClusterDomain}",
        .. ExtraServingNames.Where(n => !IPAddress.TryParse(n, out _)),
    ];

    internal IReadOnlyList<IPAddress> ServingAddresses()
    {
        var addresses = ExtraServingNames.Select(n => IPAddress.TryParse(n, out var a) ? a : null).OfType<IPAddress>().ToList();
        if (IPAddress.TryParse(ListenAddress, out var listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any) && !addresses.Contains(listen))
        {
            addresses.Add(listen);
        }

        return addresses;
    }
}
