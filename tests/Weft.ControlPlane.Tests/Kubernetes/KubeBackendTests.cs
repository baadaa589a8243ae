using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Weft.Api.Model;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;
using Weft.Routing.Policy;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// Issue 17's kinds in Kubernetes mode: XBackend, BackendTLSPolicy and XBackendTrafficPolicy listed and watched like
/// every mesh input and read by the same loader (defaults applied), the CA ConfigMaps they name watched one by one (and
/// no other ConfigMap), a missing CRD read as an empty kind.
/// </summary>
public sealed class KubeBackendTests
{
    private const string Weft = "weft.dev/mesh";

    /// <summary>One test CA for the class: the <c>ca.crt</c> of ConfigMap shop/egress-ca.</summary>
    private static readonly string CaPem = EgressManifests.NewCaPem();

    /// <summary>The route to the XBackend, the XBackend and its traffic policy, and a ConfigMap no one names.</summary>
    private const string Egress = EgressManifests.Shop + "\n---\n" + EgressManifests.XBackend + """

        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: app-config, namespace: shop}
        data: {settings.json: "{}"}
        """;

    private static JsonObject EgressCa() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = "egress-ca", ["namespace"] = "shop" },
        ["data"] = new JsonObject { [ConfigMap.CaCertificateKey] = CaPem },
    };

    private static IReadOnlyList<T> Store<T>(KubeController controller) => [.. controller.ControlPlane.Store.Snapshot().Objects.OfType<T>()];

    [Fact]
    public async Task XBackends_and_backend_policies_reach_the_store_as_the_loader_reads_them_and_only_the_named_ConfigMap_with_them()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Egress);
        await cluster.CreateAsync(EgressCa());
        var controller = await cluster.StartControllerAsync("replica-a");

        var backend = Assert.Single(Store<XBackend>(controller));
        Assert.Equal(("shop", "api-example", "api.example.test", 8443), (backend.Namespace, backend.Name, backend.Spec.ExternalHostname, backend.Spec.Port.Port));
        var policy = Assert.Single(Store<XBackendTrafficPolicy>(controller));
        var budget = policy.Spec.RetryConstraint!.Budget;
        Assert.Equal((5, RetryBudget.DefaultInterval), (budget.Percent, budget.Interval)); // the interval is the loader's default, as in a manifests directory
        Assert.True(controller.Source.InformerOf(KubeResource.XBackends).Served);

        // Only the ConfigMap a CA reference names is read, by a watch of its own; app-config is not.
        var map = Assert.Single(Store<ConfigMap>(controller));
        Assert.Equal(("shop", "egress-ca"), (map.Namespace, map.Name));
        Assert.Equal([ConfigMap.CaCertificateKey], map.Data.Keys);
        var informer = Assert.Single(controller.Source.ConfigMaps.Informers);
        Assert.Equal(("shop", "egress-ca"), informer.Key);
        Assert.Equal(KubeListScope.Object("shop", "egress-ca"), informer.Value.Scope);
        Assert.Equal(1, informer.Value.Lists);
    }

    [Fact]
    public async Task A_discovery_client_gets_the_XBackend_as_an_external_backend_with_TLS_validated_by_the_ConfigMap()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Egress);
        await cluster.CreateAsync(EgressCa());
        var token = await cluster.PodTokenAsync("shop", "client", "client-0");
        var controller = await cluster.StartControllerAsync("replica-a");

        using var channel = DiscoveryChannel.Create(controller.Address, await cluster.TrustBundleAsync(), global::Weft.Discovery.DiscoveryCredentials.Bearer(token));
        using var watch = new Discovery.V1.Discovery.DiscoveryClient(channel).WatchDestination(
            new DestinationRequest { ClientNamespace = "shop", ClientPod = "shop/client-0", Host = "api.shop.svc.cluster.local", Port = 80 },
            deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        var update = watch.ResponseStream.Current;

        Assert.Equal(DestinationStatus.Found, update.Status);
        var backend = Assert.Single(Assert.Single(PolicyJson.Deserialize(update.PolicyJson.Span).Rules).Backends);
        Assert.Null(backend.Invalid);
        var external = backend.External!;
        Assert.Equal(("api.example.test", 8443, "XBackend shop/api-example"), (external.Hostname, external.Port, external.Source));
        Assert.Equal("api.example.test", external.Tls!.ServerName);
        Assert.Equal("ConfigMap shop/egress-ca", external.Tls.Roots);
        Assert.Equal(CaPem.Trim(), Assert.Single(external.Tls.CaCertificatesPem).Trim());
        Assert.Equal(5, backend.RetryBudget!.Percent);
    }

    [Fact]
    public async Task A_ConfigMap_named_later_is_watched_from_then_and_one_no_longer_named_is_dropped()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Egress); // egress-ca does not exist yet
        var controller = await cluster.StartControllerAsync("replica-a");
        Assert.Empty(Store<ConfigMap>(controller));
        await cluster.EventuallyAsync(() => Task.FromResult(Accepted(controller)), a => a == ("False", "InvalidCACertificateRef"), "the XBackend refused for want of its CA");
        Assert.Single(controller.Source.ConfigMaps.Informers); // watched, though there is nothing to hold yet

        await cluster.CreateAsync(EgressCa());
        await cluster.EventuallyAsync(() => Task.FromResult(Accepted(controller)), a => a == ("True", "Accepted"), "the XBackend accepted once its CA exists");
        Assert.Equal("egress-ca", Assert.Single(Store<ConfigMap>(controller)).Name);

        // The XBackend now trusts the system's roots: the ConfigMap is neither watched nor in the store any more.
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"tls":{"validation":{"caCertificateRefs":null,"wellKnownCACertificates":"System"}}}}""", V1Patch.PatchType.MergePatch),
            GatewayApi.ExperimentalGroup, "v1alpha1", "shop", "xbackends", "api-example");
        await cluster.EventuallyAsync(() => Task.FromResult(Store<ConfigMap>(controller)), m => m.Count == 0, "the ConfigMap gone from the store");
        Assert.Empty(controller.Source.ConfigMaps.Informers);
    }

    [Fact]
    public async Task A_change_to_a_ConfigMap_no_one_names_makes_no_new_store_version()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Egress);
        await cluster.CreateAsync(EgressCa());
        var controller = await cluster.StartControllerAsync("replica-a");
        var before = controller.ControlPlane.Store.Version;

        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"settings.json":"{\"v\":2}"}}""", V1Patch.PatchType.MergePatch), "app-config", "shop");
        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"note":"unrelated"}}""", V1Patch.PatchType.MergePatch), "egress-ca", "shop");

        // The named one's edit is seen (a new store version); the other's never reaches the controller.
        await cluster.EventuallyAsync(() => Task.FromResult(Store<ConfigMap>(controller).Single().Data), d => d.ContainsKey("note"), "the named ConfigMap's edit");
        Assert.Equal(before + 1, controller.ControlPlane.Store.Version);
    }

    [Fact]
    public async Task XBackend_parents_and_backend_policy_ancestors_are_written_beside_other_controllers_entries()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Egress + "\n---\n" + EgressManifests.TlsPolicy("missing-ca"));
        await cluster.CreateAsync(EgressCa());

        // Another controller has written its ancestor first (through the status subresource, as it would).
        var other = new JsonObject
        {
            ["ancestorRef"] = new JsonObject { ["group"] = "gateway.networking.k8s.io", ["kind"] = "Gateway", ["namespace"] = "shop", ["name"] = "edge" },
            ["controllerName"] = "example.com/gateway",
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Accepted", ["status"] = "True", ["reason"] = "Accepted", ["message"] = "theirs",
                ["observedGeneration"] = 1, ["lastTransitionTime"] = "2026-12-01T00:00:00Z",
            }),
        };
        var tls = (await KubeResource.BackendTlsPolicies.GetAsync(cluster.Client, "shop", "api-tls", CancellationToken.None))!;
        tls["status"] = new JsonObject { ["ancestors"] = new JsonArray(other.DeepClone()) };
        await KubeResource.BackendTlsPolicies.ReplaceStatusAsync(cluster.Client, tls, CancellationToken.None);

        await cluster.StartControllerAsync("replica-a");

        var xbackend = await cluster.EventuallyAsync(() => KubeResource.XBackends.GetAsync(cluster.Client, "shop", "api-example", CancellationToken.None),
            x => KubeCluster.ParentOf(x, Weft) is not null, "the XBackend's parent entry");
        var parent = KubeCluster.ParentOf(xbackend, Weft)!;
        Assert.Equal("""{"group":"","kind":"Service","namespace":"shop","name":"api"}""", parent["parentRef"]!.ToJsonString());
        Assert.Equal("Accepted=True/Accepted@1", KubeCluster.ConditionOf(parent, "Accepted"));

        var traffic = await cluster.EventuallyAsync(() => KubeResource.BackendTrafficPolicies.GetAsync(cluster.Client, "shop", "api-budget", CancellationToken.None),
            p => KubeCluster.AncestorsOf(p, Weft).Count == 1, "the XBackendTrafficPolicy's ancestor");
        var ancestor = KubeCluster.AncestorsOf(traffic, Weft)[0];
        Assert.Equal("""{"group":"gateway.networking.x-k8s.io","kind":"XBackend","namespace":"shop","name":"api-example"}""", ancestor["ancestorRef"]!.ToJsonString());
        Assert.Equal("Accepted=True/Accepted@1", KubeCluster.ConditionOf(ancestor, "Accepted"));

        tls = await cluster.EventuallyAsync(() => KubeResource.BackendTlsPolicies.GetAsync(cluster.Client, "shop", "api-tls", CancellationToken.None),
            p => KubeCluster.AncestorsOf(p, Weft).Count == 1, "the BackendTLSPolicy's ancestor beside the other controller's");
        var entries = (tls!["status"]!["ancestors"] as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(["example.com/gateway", Weft], entries.Select(e => e["controllerName"]!.GetValue<string>()));
        Assert.True(JsonNode.DeepEquals(other, entries[0]));
        Assert.Equal("""{"group":"","kind":"Service","namespace":"shop","name":"api"}""", entries[1]["ancestorRef"]!.ToJsonString());
        Assert.Equal("Accepted=False/NoValidCACertificate@1", KubeCluster.ConditionOf(entries[1], "Accepted"));
        Assert.Equal("ResolvedRefs=False/InvalidCACertificateRef@1", KubeCluster.ConditionOf(entries[1], "ResolvedRefs"));
        Assert.Equal(1, tls["metadata"]!["generation"]!.GetValue<long>()); // a status write is not a spec change
    }

    [Fact]
    public async Task Without_the_XBackend_crds_the_kinds_read_as_empty_and_an_XBackend_ref_is_not_found()
    {
        // The standard channel has BackendTLSPolicy but neither XBackend nor XBackendTrafficPolicy.
        await using var cluster = await KubeCluster.StartAsync("standard");
        await cluster.ApplyAsync(EgressManifests.Shop);
        var controller = await cluster.StartControllerAsync("replica-a");

        Assert.False(controller.Source.InformerOf(KubeResource.XBackends).Served);
        Assert.False(controller.Source.InformerOf(KubeResource.BackendTrafficPolicies).Served);
        Assert.True(controller.Source.InformerOf(KubeResource.BackendTlsPolicies).Served);
        Assert.Contains(cluster.Log.Lines, l => l.Contains("serves no xbackends.gateway.networking.x-k8s.io", StringComparison.Ordinal));
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "api"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=False/BackendNotFound@1", "the route's XBackend ref not found");
    }

    // The XBackend's Accepted condition as the controller's current model has it.
    private static (string Status, string Reason)? Accepted(KubeController controller) =>
        controller.ControlPlane.Published.Model.XBackendStatuses.SingleOrDefault()?.Parents.SingleOrDefault()?.Conditions.Single(c => c.Type == "Accepted") is { } condition
            ? (condition.Status, condition.Reason)
            : null;
}
