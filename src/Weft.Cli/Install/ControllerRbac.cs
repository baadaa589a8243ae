using System.Text.Json.Nodes;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Install;

/// <summary>
/// What the controller's service account may do, rule by rule, each beside the code that needs it (docs/kubernetes.md
/// has the same table). Least privilege: a verb no code path uses is not granted; a missing one is a bug a cluster
/// reports as 403 (an informer held unsynced, a status write retried for ever).
/// </summary>
internal static class ControllerRbac
{
    /// <summary>The ClusterRole's rules: reading the mesh, writing route status, reviewing tokens, the webhook's caBundle.</summary>
    public static JsonArray ClusterRules() =>
    [
        // KubeSource's informers (KubeResource.MeshInputs): list, then watch from the list's resourceVersion.
        Rule("", ["services", "pods", "serviceaccounts"], ["list", "watch"]),

        // Namespaces: the informers, and the injector's read of a namespace its informer has not seen yet (one created
        // moments before its pods).
        Rule("", ["namespaces"], ["get", "list", "watch"]),
        Rule("discovery.k8s.io", ["endpointslices"], ["list", "watch"]),
        Rule("gateway.networking.k8s.io", ["referencegrants"], ["list", "watch"]),

        // The routes are read by the informers and, after a 409 on a status write, re-read by name (KubeStatusWriter).
        // So are issue 17's XBackends and backend policies.
        Rule("gateway.networking.k8s.io", ["httproutes", "grpcroutes", "tcproutes", "tlsroutes", "backendtlspolicies"], ["get", "list", "watch"]),
        Rule("gateway.networking.x-k8s.io", ["xmeshes", "xbackends", "xbackendtrafficpolicies"], ["get", "list", "watch"]),
        Rule("policy.weft.dev", ["authorizationpolicies"], ["get", "list", "watch"]),

        // KubeStatusWriter: PUT of the status subresource (gamma-spec H1 route status, XMesh Accepted, AuthorizationPolicy,
        // BackendTLSPolicy and XBackendTrafficPolicy ancestors, XBackend parents). Never PATCH: no code path sends one.
        Rule("gateway.networking.k8s.io", ["httproutes/status", "grpcroutes/status", "tcproutes/status", "tlsroutes/status", "backendtlspolicies/status"], ["update"]),
        Rule("gateway.networking.x-k8s.io", ["xmeshes/status", "xbackends/status", "xbackendtrafficpolicies/status"], ["update"]),
        Rule("policy.weft.dev", ["authorizationpolicies/status"], ["update"]),

        // ReferencedConfigMaps: each ConfigMap a caCertificateRef names (XBackend, BackendTLSPolicy) is listed and watched
        // alone (fieldSelector metadata.name); its name is the user's, so the rule cannot name it.
        Rule("", ["configmaps"], ["list", "watch"]),

        // TokenReviewAuthenticator: a sidecar's projected token is reviewed before a certificate is issued; so is an
        // operator's kubeconfig token (KubeAdminReviewer) before status, stat or tap.
        Rule("authentication.k8s.io", ["tokenreviews"], ["create"]),

        // KubeAdminReviewer: whether RBAC lets that operator do it (a SubjectAccessReview of status/stats/taps.weft.dev).
        Rule("authorization.k8s.io", ["subjectaccessreviews"], ["create"]),

        // The injector's caBundle keeper (KubeController, WebhookCaBundle): an informer over webhook configurations wakes
        // it on any change (list and watch, read-only, cannot be limited by name without a field selector); it reads and
        // replaces only the one configuration Weft installs.
        Rule("admissionregistration.k8s.io", ["mutatingwebhookconfigurations"], ["list", "watch"]),
        Rule("admissionregistration.k8s.io", ["mutatingwebhookconfigurations"], ["get", "update"], [WeftInstallation.WebhookConfigurationName]),

        // The injector publishes the trust bundle into a pod's namespace before injecting it (the pod's projected volume
        // mounts that ConfigMap; a pod cannot mount one from Weft's namespace): read, create (not limitable by name),
        // replace when it differs (KubeCaSecret.PublishBundleAsync). Weft's own namespace's copy is the same object kind.
        Rule("", ["configmaps"], ["get", "update"], [WeftInstallation.TrustBundleConfigMapName]),
        Rule("", ["configmaps"], ["create"]),
    ];

    /// <summary>
    /// The Role's rules in Weft's namespace. <c>create</c> cannot be limited by name (the name is not in the URL), so it
    /// stands apart, for the namespace as a whole; everything else names its one object.
    /// </summary>
    public static JsonArray NamespaceRules() =>
    [
        // LeaderElector's LeaseLock: read, create on first start, renew (PUT).
        Rule("coordination.k8s.io", ["leases"], ["get", "update"], [WeftInstallation.ControllerName]),
        Rule("coordination.k8s.io", ["leases"], ["create"]),

        // KubeCaSecret: the mesh root is read, or created on first start (and again if deleted); never updated.
        Rule("", ["secrets"], ["get"], [WeftInstallation.CaSecretName]),
        Rule("", ["secrets"], ["create"]),
    ];

    /// <summary>
    /// The rules of <see cref="WeftInstallation.ViewerRoleName"/>, for operators: read route status (cluster-wide) and
    /// golden metrics. The resources are not objects: only the controller's SubjectAccessReview asks about them
    /// (<see cref="Weft.ControlPlane.Identity.AdminRequest"/>).
    /// </summary>
    public static JsonArray ViewerRules() =>
    [
        Rule(Weft.ControlPlane.Identity.AdminRequest.Group, [Weft.ControlPlane.Identity.AdminRequest.StatusResource, Weft.ControlPlane.Identity.AdminRequest.StatsResource], ["get"]),
    ];

    /// <summary>The rules of <see cref="WeftInstallation.TapRoleName"/>: live requests, which carry paths and identities.</summary>
    public static JsonArray TapRules() =>
    [
        Rule(Weft.ControlPlane.Identity.AdminRequest.Group, [Weft.ControlPlane.Identity.AdminRequest.TapsResource], ["watch"]),
    ];

    private static JsonObject Rule(string group, string[] resources, string[] verbs, string[]? names = null)
    {
        var rule = new JsonObject
        {
            ["apiGroups"] = new JsonArray(JsonValue.Create(group)),
            ["resources"] = Strings(resources),
        };
        if (names is not null)
        {
            rule["resourceNames"] = Strings(names);
        }

        rule["verbs"] = Strings(verbs);
        return rule;
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => JsonValue.Create(v))];
}
