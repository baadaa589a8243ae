using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The names an installed Weft goes by: <c>weft install</c> (and <c>deploy/</c>) writes objects under them, the
/// controller, the injector and <c>weft check</c> look them up. One place, so that the four cannot drift apart.
/// </summary>
public static class WeftInstallation
{
    /// <summary>Weft's own namespace (the controller, its Lease, the mesh root Secret, the trust-bundle ConfigMap).</summary>
    public const string DefaultNamespace = "weft-system";

    /// <summary>The controller's Deployment, ServiceAccount, Service, Lease, ClusterRole and ClusterRoleBinding.</summary>
    public const string ControllerName = "weft-controller";

    /// <summary>The MutatingWebhookConfiguration whose webhooks send pods to the injector.</summary>
    public const string WebhookConfigurationName = "weft-sidecar-injector";

    /// <summary>The webhook for pods of namespaces that opt in (<c>weft.dev/mesh</c> label l4 or l7): failurePolicy Fail.</summary>
    public const string NamespaceWebhookName = "namespaces.inject.weft.dev";

    /// <summary>The webhook for pods elsewhere, which may opt in by their template: failurePolicy Ignore.</summary>
    public const string PodWebhookName = "pods.inject.weft.dev";

    /// <summary>The injector's path on the controller's HTTPS port.</summary>
    public const string InjectPath = "/inject";

    /// <summary>The controller's readiness path on its HTTPS port (200 once the cluster has been read).</summary>
    public const string ReadyPath = "/ready";

    /// <summary>The controller's one port: discovery (gRPC) and the webhook, HTTPS with a certificate from the mesh CA.</summary>
    public const int ControllerPort = 8090;

    /// <summary>The Service port the API server calls the webhook on (to <see cref="ControllerPort"/>).</summary>
    public const int WebhookServicePort = 443;

    /// <summary>The image holding <c>weft</c> (controller, init) and <c>weft-proxy</c> (the sidecar), without its tag.</summary>
    public const string ImageRepository = "ghcr.io/weft-mesh/weft";

    /// <summary>Where the image keeps the command line (<c>weft controller</c>, <c>weft init</c>).</summary>
    public const string CliPath = "/usr/local/bin/weft";

    /// <summary>Where the image keeps the sidecar (Native AOT, same command line as <c>weft proxy</c>).</summary>
    public const string ProxyPath = "/usr/local/bin/weft-proxy";

    public const string CaSecretName = "weft-ca";

    public const string TrustBundleConfigMapName = "weft-trust-bundle";

    /// <summary>
    /// The ClusterRole to bind an operator to for <c>weft status</c>, <c>weft stat</c> and the dashboard's numbers
    /// (<c>get status.weft.dev</c> and <c>stats.weft.dev</c>); a RoleBinding limits stat to its namespace.
    /// </summary>
    public const string ViewerRoleName = "weft-mesh-viewer";

    /// <summary>
    /// The ClusterRole to bind an operator to for <c>weft tap</c> and <c>weft top</c> (<c>watch taps.weft.dev</c>: live
    /// paths and identities); a RoleBinding limits it to its namespace.
    /// </summary>
    public const string TapRoleName = "weft-tap";

    public const string TokenAudience = "weft";

    /// <summary>The label every object Weft installs carries (<c>app.kubernetes.io/part-of: weft</c>).</summary>
    public const string PartOfLabel = "app.kubernetes.io/part-of";

    public const string PartOfValue = "weft";

    /// <summary>The injected sidecar container.</summary>
    public const string SidecarContainerName = MeshPorts.SidecarContainer;

    /// <summary>The injected init container (the capture rules).</summary>
    public const string InitContainerName = "weft-init";

    /// <summary>The annotation the injector leaves on a pod it injected (its value: the Weft version that did).</summary>
    public const string InjectedAnnotation = "weft.dev/injected";

    /// <summary>The image reference for a Weft version (its build metadata, <c>+commit</c>, is not part of the tag).</summary>
    public static string Image(string version) => $"{ImageRepository}:{version.Split('+')[0]}";

    /// <summary>The controller's DNS name inside the cluster (what sidecars dial and its certificate names).</summary>
    public static string ControllerHost(string @namespace) => $"{ControllerName}.{@namespace}.svc";

    /// <summary>
    /// How an operator outside the cluster reaches the controller's discovery port, for the CLI's hints:
    /// <c>https://127.0.0.1:8090 after kubectl -n weft-system port-forward svc/weft-controller 8090</c>.
    /// </summary>
    public static string PortForwardHint(string @namespace) =>
        $"https://127.0.0.1:{ControllerPort} after kubectl -n {@namespace} port-forward svc/{ControllerName} {ControllerPort}";
}
