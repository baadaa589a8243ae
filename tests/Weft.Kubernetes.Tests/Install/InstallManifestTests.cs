using System.Text.Json.Nodes;
using Weft.Api;
using Weft.Cli.Install;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Kubernetes.Tests.Install;

/// <summary><c>weft install</c>'s objects: apply order, the installation's names, RBAC derived from what the controller reads and writes.</summary>
public sealed class InstallManifestTests
{
    private static readonly InstallOptions Defaults = new() { Namespace = WeftInstallation.DefaultNamespace, Image = "example/weft:1" };

    [Fact]
    public void Objects_come_in_apply_order_under_the_installation_names()
    {
        var objects = InstallManifest.Objects(Defaults);
        Assert.Equal(
            ["Namespace/weft-system", "ServiceAccount/weft-controller", "ClusterRole/weft-controller", "ClusterRoleBinding/weft-controller",
             "Role/weft-controller", "RoleBinding/weft-controller", "ClusterRole/weft-mesh-viewer", "ClusterRole/weft-tap", "Deployment/weft-controller", "Service/weft-controller",
             "MutatingWebhookConfiguration/weft-sidecar-injector"],
            objects.Select(o => $"{o["kind"]}/{KubeResource.NameOf(o)}"));
        Assert.All(objects, o => Assert.Equal(WeftInstallation.PartOfValue, o["metadata"]!["labels"]![WeftInstallation.PartOfLabel]!.GetValue<string>()));
        Assert.Equal("off", objects[0]["metadata"]!["labels"]!["weft.dev/mesh"]!.GetValue<string>());
    }

    [Fact]
    public void Crds_come_first_as_the_vendored_files_hold_them()
    {
        var objects = InstallManifest.Objects(Defaults with { Crds = true });
        var crds = objects.Take(GatewayApiCrds.All.Count).ToList();
        Assert.Equal(GatewayApiCrds.All.Select(c => c.Name), crds.Select(KubeResource.NameOf));
        foreach (var (crd, obj) in GatewayApiCrds.All.Zip(crds))
        {
            var file = ManifestJson.Documents(File.ReadAllText(Path.Combine(SharedFiles.Repository, "deploy", "crds", crd.File))).Single();
            Assert.True(JsonNode.DeepEquals(file, obj), crd.File);
            Assert.Equal(GatewayApiCrds.PinnedVersion, obj["metadata"]!["annotations"]![GatewayApiCrds.BundleVersionAnnotation]!.GetValue<string>());
        }

        var own = objects.Skip(GatewayApiCrds.All.Count).Take(WeftCrds.Files.Count).ToList();
        Assert.Equal(["authorizationpolicies.policy.weft.dev"], own.Select(KubeResource.NameOf));
        foreach (var (file, obj) in WeftCrds.Files.Zip(own))
        {
            Assert.True(JsonNode.DeepEquals(ManifestJson.Documents(File.ReadAllText(Path.Combine(SharedFiles.Repository, "deploy", "crds", file))).Single(), obj), file);
        }

        Assert.Equal("Namespace", objects[GatewayApiCrds.All.Count + WeftCrds.Files.Count]["kind"]!.GetValue<string>());
    }

    [Fact]
    public void Vendored_gateway_api_crds_are_the_upstream_experimental_files_unmodified()
    {
        foreach (var crd in GatewayApiCrds.All)
        {
            var upstream = File.ReadAllText(Path.Combine(SharedFiles.GatewayApiCrds, crd.File));
            Assert.True(upstream == File.ReadAllText(Path.Combine(SharedFiles.Repository, "deploy", "crds", crd.File)), $"deploy/crds/{crd.File} differs from upstream");
            Assert.True(upstream == GatewayApiCrds.Text(crd), $"the embedded {crd.File} differs from upstream");
        }

        // The kinds the controller reads from the Gateway API are exactly the vendored ones.
        Assert.Equal(
            KubeResource.MeshInputs.Where(r => r.Group.StartsWith("gateway.networking.", StringComparison.Ordinal)).Select(r => r.QualifiedName).Order(StringComparer.Ordinal),
            GatewayApiCrds.All.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cluster_role_lets_the_informers_list_and_watch_every_mesh_input()
    {
        var rules = ControllerRbac.ClusterRules();
        foreach (var resource in KubeResource.MeshInputs)
        {
            Assert.True(Allows(rules, resource.Group, resource.Plural, "list") && Allows(rules, resource.Group, resource.Plural, "watch"), resource.QualifiedName);
        }
    }

    [Fact]
    public void Cluster_role_lets_the_status_writer_get_and_update_the_status_of_every_kind_it_writes()
    {
        var rules = ControllerRbac.ClusterRules();
        foreach (var resource in KubeStatusWriter.Kinds)
        {
            Assert.True(Allows(rules, resource.Group, resource.Plural, "get"), resource.QualifiedName);
            Assert.True(Allows(rules, resource.Group, resource.Plural + "/status", "update"), resource.QualifiedName + "/status");
            Assert.False(Allows(rules, resource.Group, resource.Plural, "update"), resource.QualifiedName + ": only its status is written");
        }

        Assert.True(Allows(rules, "authentication.k8s.io", "tokenreviews", "create"));
        Assert.True(Allows(rules, "authorization.k8s.io", "subjectaccessreviews", "create"));
    }

    [Fact]
    public void Operator_roles_grant_what_the_controller_asks_of_stat_status_and_tap_and_nothing_else()
    {
        var viewer = ControllerRbac.ViewerRules();
        var tap = ControllerRbac.TapRules();
        foreach (var request in new[] { AdminRequest.Status(), AdminRequest.Stat("shop"), AdminRequest.Stat(null) })
        {
            Assert.True(Allows(viewer, AdminRequest.Group, request.Resource, request.Verb), request.ToString());
            Assert.False(Allows(tap, AdminRequest.Group, request.Resource, request.Verb), request.ToString());
        }

        Assert.True(Allows(tap, AdminRequest.Group, AdminRequest.TapsResource, AdminRequest.Tap("shop").Verb));
        Assert.False(Allows(viewer, AdminRequest.Group, AdminRequest.TapsResource, AdminRequest.Tap("shop").Verb));
        Assert.All(viewer.Concat(tap).OfType<JsonObject>(), r => Assert.Equal([AdminRequest.Group], Strings(r["apiGroups"])));
    }

    [Fact]
    public void Cluster_role_grants_no_secret_and_no_write_outside_status_the_webhook_configuration_and_trust_bundles()
    {
        var rules = ControllerRbac.ClusterRules().OfType<JsonObject>().ToList();
        Assert.DoesNotContain(rules, r => Strings(r["resources"]).Contains("secrets"));
        var writes = rules.Where(r => Strings(r["verbs"]).Any(v => v is "update" or "patch" or "create" or "delete")).ToList();
        Assert.All(writes.SelectMany(r => Strings(r["resources"])), w => Assert.True(w.EndsWith("/status", StringComparison.Ordinal) || w is "tokenreviews" or "subjectaccessreviews" or "mutatingwebhookconfigurations" or "configmaps", w));
        var updates = writes.Where(r => Strings(r["verbs"]).Any(v => v is "update" or "patch")).Where(r => !Strings(r["resources"]).All(w => w.EndsWith("/status", StringComparison.Ordinal)));
        Assert.All(updates, r => Assert.NotEmpty(Strings(r["resourceNames"]))); // only the objects Weft owns are ever replaced
        Assert.True(Allows(ControllerRbac.ClusterRules(), "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "update", WeftInstallation.WebhookConfigurationName));
        Assert.False(Allows(ControllerRbac.ClusterRules(), "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "update", "someone-elses"));
        Assert.True(Allows(ControllerRbac.ClusterRules(), "", "configmaps", "update", WeftInstallation.TrustBundleConfigMapName));
        Assert.False(Allows(ControllerRbac.ClusterRules(), "", "configmaps", "update", "app-config"));
    }

    [Fact]
    public void Cluster_role_lets_ConfigMaps_be_listed_and_watched_for_CA_bundles_and_nothing_more()
    {
        // ReferencedConfigMaps lists and watches each ConfigMap a caCertificateRef names; the names are the users', so
        // the rule cannot name them. Reading one by name or writing one stays limited to the trust bundle.
        var rules = ControllerRbac.ClusterRules();
        Assert.True(Allows(rules, "", "configmaps", "list") && Allows(rules, "", "configmaps", "watch"));
        Assert.False(Allows(rules, "", "configmaps", "get", "app-config"));
        Assert.False(Allows(rules, "", "configmaps", "update", "app-config"));
        Assert.False(Allows(rules, "", "configmaps", "patch"));
    }

    [Fact]
    public void Role_names_every_object_but_for_create()
    {
        var rules = ControllerRbac.NamespaceRules().OfType<JsonObject>().ToList();
        Assert.All(rules, r => Assert.True(r["resourceNames"] is not null || Strings(r["verbs"]).SequenceEqual(["create"]), r.ToJsonString()));
        Assert.True(Allows(ControllerRbac.NamespaceRules(), "coordination.k8s.io", "leases", "update", WeftInstallation.ControllerName));
        Assert.True(Allows(ControllerRbac.NamespaceRules(), "", "secrets", "get", WeftInstallation.CaSecretName));
        Assert.False(Allows(ControllerRbac.NamespaceRules(), "", "secrets", "update", WeftInstallation.CaSecretName));
    }

    [Fact]
    public void Namespace_image_and_replicas_flags_reach_every_object()
    {
        var objects = InstallManifest.Objects(Defaults with { Namespace = "mesh", Image = "registry.example/weft:dev", Replicas = 3 });
        var deployment = objects.Single(o => o["kind"]!.GetValue<string>() == "Deployment");
        Assert.Equal("mesh", deployment["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("registry.example/weft:dev", container["image"]!.GetValue<string>());
        Assert.Equal([WeftInstallation.CliPath, "controller"], Strings(container["command"]));
        Assert.Equal("mesh", objects.Single(o => o["kind"]!.GetValue<string>() == "ClusterRoleBinding")["subjects"]![0]!["namespace"]!.GetValue<string>());
        var webhooks = objects.Single(o => o["kind"]!.GetValue<string>() == "MutatingWebhookConfiguration")["webhooks"]!.AsArray();
        Assert.All(webhooks, w => Assert.Equal("mesh", w!["clientConfig"]!["service"]!["namespace"]!.GetValue<string>()));
    }

    [Fact]
    public void Webhooks_split_opted_in_namespaces_from_the_rest_and_never_see_system_namespaces_or_weft()
    {
        var webhooks = InstallManifest.Objects(Defaults).Single(o => o["kind"]!.GetValue<string>() == "MutatingWebhookConfiguration")["webhooks"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Equal([WeftInstallation.NamespaceWebhookName, WeftInstallation.PodWebhookName], webhooks.Select(w => w["name"]!.GetValue<string>()));
        Assert.Equal(["Fail", "Ignore"], webhooks.Select(w => w["failurePolicy"]!.GetValue<string>()));
        foreach (var webhook in webhooks)
        {
            var expressions = webhook["namespaceSelector"]!["matchExpressions"]!.AsArray();
            var excluded = expressions.Single(e => e!["key"]!.GetValue<string>() == "kubernetes.io/metadata.name")!;
            Assert.Equal("NotIn", excluded["operator"]!.GetValue<string>());
            Assert.Equal(["kube-system", "kube-public", "kube-node-lease", "weft-system"], Strings(excluded["values"]));
            Assert.Null(webhook["clientConfig"]!["caBundle"]);
            Assert.Equal(WeftInstallation.InjectPath, webhook["clientConfig"]!["service"]!["path"]!.GetValue<string>());
            Assert.Equal(WeftInstallation.WebhookServicePort, webhook["clientConfig"]!["service"]!["port"]!.GetValue<int>());
        }

        Assert.Equal(["l4", "l7"], Strings(webhooks[0]["namespaceSelector"]!["matchExpressions"]![0]!["values"]));
        Assert.Equal("NotIn", webhooks[1]["namespaceSelector"]!["matchExpressions"]![0]!["operator"]!.GetValue<string>());
    }

    private static bool Allows(JsonArray rules, string group, string resource, string verb, string? name = null) =>
        rules.OfType<JsonObject>().Any(r =>
            Strings(r["apiGroups"]).Contains(group)
            && Strings(r["resources"]).Contains(resource)
            && Strings(r["verbs"]).Contains(verb)
            && (r["resourceNames"] is null || (name is not null && Strings(r["resourceNames"]).Contains(name))));

    private static List<string> Strings(JsonNode? array) => [.. (array as JsonArray ?? []).Select(v => v!.GetValue<string>())];
}
