using System.Text.Json.Nodes;
using Weft.Api;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Install;

/// <summary>
/// Everything a cluster needs to run Weft, as the objects <c>weft install</c> prints and <c>deploy/</c> holds, in apply
/// order: the Gateway API CRDs and Weft's own (with <c>--crds</c>), the namespace, the controller's ServiceAccount and RBAC, its
/// Deployment and Service, and the injector's MutatingWebhookConfiguration. Every name is <see cref="WeftInstallation"/>'s.
/// </summary>
internal static class InstallManifest
{
    /// <summary>Namespaces the injector never sees, whatever their labels: the cluster's own.</summary>
    public static IReadOnlyList<string> SystemNamespaces { get; } = ["kube-system", "kube-public", "kube-node-lease"];

    private const string NameLabel = "app.kubernetes.io/name";
    private const string ComponentLabel = "app.kubernetes.io/component";

    public static IReadOnlyList<JsonObject> Objects(InstallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var objects = new List<JsonObject>();
        if (options.Crds)
        {
            objects.AddRange(GatewayApiCrds.All.SelectMany(crd => ManifestJson.Documents(GatewayApiCrds.Text(crd))));
            objects.AddRange(WeftCrds.Files.SelectMany(file => ManifestJson.Documents(WeftCrds.Text(file))));
        }

        var ns = options.Namespace;
        objects.Add(Namespace(ns));
        objects.Add(Object("v1", "ServiceAccount", WeftInstallation.ControllerName, ns));
        objects.Add(Object("rbac.authorization.k8s.io/v1", "ClusterRole", WeftInstallation.ControllerName, null, o => o["rules"] = ControllerRbac.ClusterRules()));
        objects.Add(Object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", WeftInstallation.ControllerName, null, o => Bind(o, "ClusterRole", ns)));
        objects.Add(Object("rbac.authorization.k8s.io/v1", "Role", WeftInstallation.ControllerName, ns, o => o["rules"] = ControllerRbac.NamespaceRules()));
        objects.Add(Object("rbac.authorization.k8s.io/v1", "RoleBinding", WeftInstallation.ControllerName, ns, o => Bind(o, "Role", ns)));

        // For operators, bound by the cluster's admin (nothing is bound to them here): weft status/stat/dashboard, and tap.
        objects.Add(Object("rbac.authorization.k8s.io/v1", "ClusterRole", WeftInstallation.ViewerRoleName, null, o => o["rules"] = ControllerRbac.ViewerRules()));
        objects.Add(Object("rbac.authorization.k8s.io/v1", "ClusterRole", WeftInstallation.TapRoleName, null, o => o["rules"] = ControllerRbac.TapRules()));
        objects.Add(Object("apps/v1", "Deployment", WeftInstallation.ControllerName, ns, o => o["spec"] = DeploymentSpec(options)));
        objects.Add(Object("v1", "Service", WeftInstallation.ControllerName, ns, o => o["spec"] = ServiceSpec()));
        objects.Add(Object("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", WeftInstallation.WebhookConfigurationName, null,
            o => o["webhooks"] = new JsonArray(
                Webhook(WeftInstallation.NamespaceWebhookName, ns, OptedInNamespaces(), "Fail"),
                Webhook(WeftInstallation.PodWebhookName, ns, UnlabelledNamespaces(), "Ignore"))));
        return objects;
    }

    private static JsonObject Namespace(string name) => Object("v1", "Namespace", name, null, o =>
        // Weft itself is never injected, whatever the webhook's selectors say.
        o["metadata"]!["labels"]![MeshLevels.Key] = MeshLevels.Off);

    private static JsonObject Object(string apiVersion, string kind, string name, string? ns, Action<JsonObject>? fill = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        metadata["labels"] = new JsonObject { [WeftInstallation.PartOfLabel] = WeftInstallation.PartOfValue };
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
        fill?.Invoke(obj);
        return obj;
    }

    private static void Bind(JsonObject binding, string roleKind, string ns)
    {
        binding["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = WeftInstallation.ControllerName };
        binding["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = WeftInstallation.ControllerName, ["namespace"] = ns });
    }

    private static JsonObject SelectorLabels() => new() { [NameLabel] = WeftInstallation.ControllerName };

    private static JsonObject DeploymentSpec(InstallOptions options)
    {
        var podLabels = SelectorLabels();
        podLabels[ComponentLabel] = "control-plane";
        podLabels[WeftInstallation.PartOfLabel] = WeftInstallation.PartOfValue;
        return new JsonObject
        {
            ["replicas"] = options.Replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = SelectorLabels() },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["labels"] = podLabels,
                    ["annotations"] = new JsonObject { [MeshLevels.Key] = MeshLevels.Off },
                },
                ["spec"] = new JsonObject
                {
                    ["serviceAccountName"] = WeftInstallation.ControllerName,
                    ["securityContext"] = new JsonObject
                    {
                        ["runAsNonRoot"] = true,
                        ["runAsUser"] = 65532,
                        ["runAsGroup"] = 65532,
                        ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
                    },
                    ["containers"] = new JsonArray(ControllerContainer(options)),
                    // .NET keeps its diagnostics sockets in TMPDIR; the root filesystem is read-only.
                    ["volumes"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["emptyDir"] = new JsonObject() }),
                },
            },
        };
    }

    private static JsonObject ControllerContainer(InstallOptions options) => new()
    {
        ["name"] = "controller",
        ["image"] = options.Image,
        ["command"] = new JsonArray(WeftInstallation.CliPath, "controller"),
        // The kubelet expands $(POD_NAMESPACE), so a kustomize namespace override moves the Lease, Secret and ConfigMap too.
        // The injected init and sidecar containers use the controller's own image (one image holds all three).
        ["args"] = new JsonArray("--namespace=$(POD_NAMESPACE)", $"--listen=0.0.0.0:{WeftInstallation.ControllerPort}", $"--proxy-image={options.Image}"),
        ["env"] = new JsonArray(FieldEnv("POD_NAME", "metadata.name"), FieldEnv("POD_NAMESPACE", "metadata.namespace")),
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["containerPort"] = WeftInstallation.ControllerPort, ["protocol"] = "TCP" }),
        // Ready once the cluster has been read (the controller answers 503 before); alive while it accepts connections,
        // so that a slow first read of a large cluster is not mistaken for a hang.
        ["readinessProbe"] = new JsonObject
        {
            ["httpGet"] = new JsonObject { ["path"] = WeftInstallation.ReadyPath, ["port"] = WeftInstallation.ControllerPort, ["scheme"] = "HTTPS" },
            ["periodSeconds"] = 5,
        },
        ["livenessProbe"] = new JsonObject
        {
            ["tcpSocket"] = new JsonObject { ["port"] = WeftInstallation.ControllerPort },
            ["initialDelaySeconds"] = 10,
            ["periodSeconds"] = 10,
        },
        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" } },
        ["securityContext"] = new JsonObject
        {
            ["allowPrivilegeEscalation"] = false,
            ["readOnlyRootFilesystem"] = true,
            ["runAsNonRoot"] = true,
            ["runAsUser"] = 65532,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        },
        ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/tmp" }),
    };

    private static JsonObject FieldEnv(string name, string path) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } },
    };

    private static JsonObject ServiceSpec() => new()
    {
        ["selector"] = SelectorLabels(),
        ["ports"] = new JsonArray(
            new JsonObject { ["name"] = "grpc-discovery", ["port"] = WeftInstallation.ControllerPort, ["targetPort"] = WeftInstallation.ControllerPort, ["protocol"] = "TCP" },
            new JsonObject { ["name"] = "webhook", ["port"] = WeftInstallation.WebhookServicePort, ["targetPort"] = WeftInstallation.ControllerPort, ["protocol"] = "TCP" }),
    };

    // Namespaces that opt in: every pod is injected unless it opts out, so an unreachable injector must stop the pod
    // (failurePolicy Fail) rather than let it run outside the mesh.
    private static JsonArray OptedInNamespaces() =>
    [
        new JsonObject { ["key"] = MeshLevels.Key, ["operator"] = "In", ["values"] = new JsonArray(MeshLevels.L4, MeshLevels.L7) },
    ];

    // Every other namespace (no label, off, or another spelling): a pod may opt in by its template's annotation, which
    // beats its namespace as everywhere in Weft (SidecarInjector decides); the rest must not wait on Weft (failurePolicy
    // Ignore).
    private static JsonArray UnlabelledNamespaces() =>
    [
        new JsonObject { ["key"] = MeshLevels.Key, ["operator"] = "NotIn", ["values"] = new JsonArray(MeshLevels.L4, MeshLevels.L7) },
    ];

    private static JsonObject Webhook(string name, string ns, JsonArray namespaceExpressions, string failurePolicy)
    {
        namespaceExpressions.Add(new JsonObject
        {
            ["key"] = "kubernetes.io/metadata.name",
            ["operator"] = "NotIn",
            ["values"] = new JsonArray([.. SystemNamespaces.Append(ns).Select(n => JsonValue.Create(n))]),
        });
        return new JsonObject
        {
            ["name"] = name,
            // caBundle is left out: the controller writes the mesh root into it (and keeps it current).
            ["clientConfig"] = new JsonObject
            {
                ["service"] = new JsonObject
                {
                    ["namespace"] = ns,
                    ["name"] = WeftInstallation.ControllerName,
                    ["path"] = WeftInstallation.InjectPath,
                    ["port"] = WeftInstallation.WebhookServicePort,
                },
            },
            ["rules"] = new JsonArray(new JsonObject
            {
                ["operations"] = new JsonArray("CREATE"),
                ["apiGroups"] = new JsonArray(""),
                ["apiVersions"] = new JsonArray("v1"),
                ["resources"] = new JsonArray("pods"),
                ["scope"] = "Namespaced",
            }),
            ["namespaceSelector"] = new JsonObject { ["matchExpressions"] = namespaceExpressions },
            // A pod labelled weft.dev/mesh: off never reaches the injector (one annotated so is the injector's to skip:
            // an objectSelector sees labels only).
            ["objectSelector"] = new JsonObject
            {
                ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = MeshLevels.Key, ["operator"] = "NotIn", ["values"] = new JsonArray(MeshLevels.Off) }),
            },
            ["failurePolicy"] = failurePolicy,
            ["sideEffects"] = "None", // the injector writes nothing (the controller publishes trust bundles on its own)
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["timeoutSeconds"] = 10,
            ["reinvocationPolicy"] = "Never",
        };
    }
}
