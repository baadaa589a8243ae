using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using k8s;
using k8s.Models;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// <c>weft controller</c> against the API server stand-in: the cluster read through list and watch, route and XMesh
/// status written through the status subresource by the leader only, and workload certificates for reviewed tokens.
/// </summary>
public sealed class KubeControllerTests
{
    private const string Weft = "weft.dev/mesh";

    private const string Shop = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: cart, namespace: shop}
        spec:
          selector: {app: cart}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: cart-v2, namespace: shop}
        spec:
          selector: {app: cart, version: v2}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: cart-canary, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
          rules:
          - backendRefs: [{name: cart-v2, port: 80}]
        """;

    // A pod of cart, as the API server first holds it: no IP yet.
    private const string CartPodYaml = """

        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: cart-0, namespace: shop, labels: {app: cart}}
        spec:
          containers: [{name: app, image: cart}]
        """;

    [Fact]
    public async Task Route_status_is_written_through_the_status_subresource_without_changing_the_generation()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a");

        var route = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") is not null, "the route's status");

        var parent = KubeCluster.ParentOf(route, Weft)!;
        Assert.Equal("Accepted=True/Accepted@1", KubeCluster.ConditionOf(parent, "Accepted"));
        Assert.Equal("ResolvedRefs=True/ResolvedRefs@1", KubeCluster.ConditionOf(parent, "ResolvedRefs"));
        Assert.Equal("""{"group":"","kind":"Service","name":"cart","port":80}""", parent["parentRef"]!.ToJsonString());
        Assert.Equal(1, route!["metadata"]!["generation"]!.GetValue<long>());
        Assert.True(controller.IsLeader);
    }

    [Fact]
    public async Task A_route_edited_while_watched_gets_the_status_of_its_new_generation_and_an_unchanged_status_is_not_rewritten()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a");
        var first = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=True/ResolvedRefs@1", "the first status");
        var accepted = AcceptedTransition(first);

        // An unrelated change (a label on another Service) makes a new model; the route's status stays as it was.
        await cluster.Client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"metadata":{"labels":{"tier":"web"}}}""", V1Patch.PatchType.MergePatch), "cart", "shop");
        await cluster.EventuallyAsync(() => Task.FromResult(controller.ControlPlane.Store.Snapshot().Objects.OfType<global::Weft.Api.Model.Service>().Any(s => s.Name == "cart" && s.Metadata.Labels.ContainsKey("tier"))),
            seen => seen, "the label in the controller's store");
        await controller.ControlPlane.WaitForVersionAsync(controller.ControlPlane.Store.Version, CancellationToken.None);
        Assert.True(await controller.Status.ReconcileAsync(CancellationToken.None));
        Assert.Equal(first!["metadata"]!["resourceVersion"]!.GetValue<string>(), (await cluster.GetRouteAsync("shop", "cart-canary"))!["metadata"]!["resourceVersion"]!.GetValue<string>());

        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"backendRefs":[{"name":"cart-v3","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        var edited = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=False/BackendNotFound@2", "the edited route's status");

        Assert.Equal("Accepted=True/Accepted@2", KubeCluster.ConditionOf(KubeCluster.ParentOf(edited, Weft), "Accepted"));
        Assert.Equal(accepted, AcceptedTransition(edited)); // Accepted stayed True: its lastTransitionTime is kept
    }

    [Fact]
    public async Task A_pass_after_one_route_is_edited_compares_that_route_and_not_every_route()
    {
        // Twenty routes, each on a Service of its own (a route's status also reads the other routes on its Service port).
        var yaml = string.Concat(Enumerable.Range(0, 20).Select(n => $$"""

            ---
            apiVersion: v1
            kind: Service
            metadata: {name: svc-{{n}}, namespace: shop}
            spec:
              selector: {app: svc-{{n}}}
              ports: [{name: http, port: 80, targetPort: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: route-{{n}}, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: svc-{{n}}, port: 80}]
              rules: [{backendRefs: [{name: svc-{{n}}, port: 80}]}]
            """));
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop + yaml);

        // A Lease long enough that a slow machine does not lose it meanwhile: a replica that leads again compares everything.
        var controller = await cluster.StartControllerAsync("replica-a", o => o with { LeaseDuration = TimeSpan.FromSeconds(60), RenewDeadline = TimeSpan.FromSeconds(45) });

        // Every route's status written, and read back by the controller's own watch (a written object comes back as a new
        // one, compared once more): then a pass compares nothing.
        var routes = controller.Source.InformerOf(KubeResource.HttpRoutes);
        await cluster.EventuallyAsync(() => Task.FromResult(routes.Objects.Values.Count(r => KubeCluster.ParentOf(r, Weft) is not null)), n => n == 21, "every route's status in the controller's informer");
        async Task<long> ComparedByAPassAsync()
        {
            var before = controller.Status.Compared;
            await controller.Status.ReconcileAsync(CancellationToken.None);
            return controller.Status.Compared - before;
        }

        await cluster.EventuallyAsync(ComparedByAPassAsync, compared => compared == 0, "a pass that compares nothing");

        // From here on, which objects any pass compares.
        var compared = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        controller.Status.Comparing = (resource, key) => compared.AddOrUpdate($"{resource.Kind} {key}", 1, (_, n) => n + 1);
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"backendRefs":[{"name":"missing","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "route-7");
        await cluster.EventuallyAsync(() => Task.FromResult(routes.Objects["shop/route-7"]),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=False/BackendNotFound@2", "the edited route's status, read back");
        await cluster.EventuallyAsync(ComparedByAPassAsync, n => n == 0, "a pass that compares nothing again");

        // The edited route only (when its model came, when its written status came back, and once more for a conflict);
        // before, every pass compared all 21 routes.
        Assert.Equal(["HTTPRoute shop/route-7"], compared.Keys);
        Assert.True(controller.IsLeader);
    }

    [Fact]
    public async Task Two_controllers_with_different_controller_names_write_the_same_route_without_erasing_each_other()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var weft = await cluster.StartControllerAsync("weft-a");
        var other = await cluster.StartControllerAsync("other-a", o => o with { ControllerName = "example.com/other-mesh", LeaseName = "other-mesh" });

        static bool Both(JsonObject? r, long generation) =>
            KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == $"Accepted=True/Accepted@{generation}"
            && KubeCluster.ConditionOf(KubeCluster.ParentOf(r, "example.com/other-mesh"), "Accepted") == $"Accepted=True/Accepted@{generation}";

        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => Both(r, 1), "both controllers' entries");

        // Each edit makes both write again, each from the object the other may just have changed (then 409 and a merge).
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"backendRefs":[{"name":"cart","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        var route = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => Both(r, 2), "both entries at generation 2");
        Assert.Equal(2, (route!["status"]!["parents"] as JsonArray)!.Count);

        // Converged, neither rewrites the other's order: once both have seen the final object, reconciling writes nothing.
        var version = route["metadata"]!["resourceVersion"]!.GetValue<string>();
        foreach (var controller in new[] { weft, other })
        {
            var informer = controller.Source.InformerOf(KubeResource.HttpRoutes);
            await cluster.EventuallyAsync(() => Task.FromResult(informer.Objects.GetValueOrDefault("shop/cart-canary")?["metadata"]?["resourceVersion"]?.GetValue<string>()),
                v => v == version, "the final object in each controller's cache");
        }

        // (Judged by the object's resourceVersion: a write counter is bumped only after the server has answered.)
        Assert.True(await weft.Status.ReconcileAsync(CancellationToken.None));
        Assert.True(await other.Status.ReconcileAsync(CancellationToken.None));
        Assert.Equal(version, (await cluster.GetRouteAsync("shop", "cart-canary"))!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_route_detached_from_its_service_loses_weft_s_entry_and_a_gateway_route_gets_none()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: north-south, namespace: shop}
            spec:
              parentRefs: [{name: edge-gateway}]
              rules: [{backendRefs: [{name: cart, port: 80}]}]
            """);
        var controller = await cluster.StartControllerAsync("replica-a");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => KubeCluster.ParentOf(r, Weft) is not null, "Weft's entry");

        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"parentRefs":[{"name":"edge-gateway"}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        var detached = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => KubeCluster.ParentOf(r, Weft) is null, "Weft's entry gone");

        Assert.Empty((detached!["status"]!["parents"] as JsonArray)!);
        Assert.Null((await cluster.GetRouteAsync("shop", "north-south"))!["status"]); // never touched: no Service parent
        _ = controller;
    }

    [Fact]
    public async Task An_edit_the_loader_refuses_makes_the_route_not_accepted_with_the_loader_s_words_at_its_generation()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=True/Accepted@1", "the first status");

        // The stand-in, like an API server without the CRDs' CEL rules, stores a path that does not start with '/'.
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"beta"}}],"backendRefs":[{"name":"cart-v2","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        var refused = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=False/UnsupportedValue@2", "the refused edit's status");

        var parent = KubeCluster.ParentOf(refused, Weft)!;
        Assert.Equal("""{"group":"","kind":"Service","name":"cart","port":80}""", parent["parentRef"]!.ToJsonString());
        Assert.StartsWith(
            "spec.rules[0].matches[0].path: Invalid value: \"object\": value must be an absolute path and start with '/'",
            (parent["conditions"] as JsonArray)!.Single(c => c!["type"]!.GetValue<string>() == "Accepted")!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single((refused!["status"]!["parents"] as JsonArray)!);

        // The object as stored is the invalid one: its earlier rules no longer apply (docs/kubernetes.md).
        Assert.DoesNotContain(controller.ControlPlane.Store.Snapshot().Objects.OfType<global::Weft.Api.Model.HttpRoute>(), r => r.Name == "cart-canary");
    }

    [Fact]
    public async Task A_new_route_the_loader_refuses_is_not_accepted_for_each_service_parent_and_left_alone_for_a_gateway()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: typo, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}, {group: "", kind: Service, name: cart-v2}, {name: edge-gateway}]
              rules: [{backendRefs: [{name: cart, port: 80}], timeout: {request: 1s}}]
            """);
        await cluster.StartControllerAsync("replica-a");

        var refused = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "typo"),
            r => (r?["status"]?["parents"] as JsonArray)?.Count == 2, "Weft's two entries on the refused route");

        foreach (var parent in (refused!["status"]!["parents"] as JsonArray)!.OfType<JsonObject>())
        {
            Assert.Equal(Weft, parent["controllerName"]!.GetValue<string>());
            Assert.Equal("Accepted=False/UnsupportedValue@1", KubeCluster.ConditionOf(parent, "Accepted"));
            Assert.Contains("timeout", (parent["conditions"] as JsonArray)![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(["cart", "cart-v2"], (refused["status"]!["parents"] as JsonArray)!.Select(p => p!["parentRef"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_route_refused_while_the_controller_runs_gets_its_status_at_once_not_at_the_next_resync()
    {
        // A refused object is not in the store, so its refusal may publish no new model: the writer is told itself, and
        // does not wait for its 60 s resync (longer than this test's 20 s deadlines).
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        await cluster.StartControllerAsync("replica-a");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => KubeCluster.ParentOf(r, Weft) is not null, "the first status");

        await cluster.ApplyAsync("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: typo, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
              rules: [{backendRefs: [{name: cart, port: 80}], timeout: {request: 1s}}]
            """);
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "typo"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=False/UnsupportedValue@1", "the new refused route's status");

        // Edited, and still refused: the new generation's words.
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"beta"}}],"backendRefs":[{"name":"cart","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "typo");
        var edited = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "typo"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=False/UnsupportedValue@2", "the refused edit's status");
        Assert.Contains("absolute path", (KubeCluster.ParentOf(edited, Weft)!["conditions"] as JsonArray)![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_weft_entry_claiming_a_future_generation_is_overwritten_and_a_malformed_entry_stops_no_other_route()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        await cluster.StartControllerAsync("replica-a");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => KubeCluster.ParentOf(r, Weft) is not null, "Weft's entry");

        // Someone who may write status writes Weft's entry with a generation the route never had, and a malformed entry.
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"parents":[{"parentRef":{"group":"","kind":"Service","name":"cart","port":80},"controllerName":"weft.dev/mesh","conditions":[{"type":"Accepted","status":"False","reason":"Hacked","message":"forged","observedGeneration":999999,"lastTransitionTime":"2020-01-01T00:00:00Z"}]},{"parentRef":{"name":"x"},"controllerName":5,"conditions":[null]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        await cluster.ApplyAsync("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: later, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart-v2, port: 80}]
              rules: [{backendRefs: [{name: cart-v2, port: 80}]}]
            """);

        var forged = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=True/Accepted@1", "the forged entry put right");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "later"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=True/Accepted@1", "a later route's status");
        Assert.Equal(2, (forged!["status"]!["parents"] as JsonArray)!.Count); // the malformed entry is someone else's: kept
    }

    [Fact]
    public async Task A_deleted_root_secret_and_trust_bundle_are_put_back_with_the_same_root()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var controller = await cluster.StartControllerAsync("replica-a", o => o with { RootCheckInterval = TimeSpan.FromMilliseconds(200) });

        await cluster.Client.CoreV1.DeleteNamespacedSecretAsync("weft-ca", KubeCluster.WeftNamespace);
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("weft-trust-bundle", KubeCluster.WeftNamespace);

        var bundle = await cluster.EventuallyAsync(async () =>
        {
            try
            {
                return (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("weft-trust-bundle", KubeCluster.WeftNamespace)).Data["ca.crt"];
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return null;
            }
        }, b => b is not null, "the trust bundle back");
        Assert.Equal(controller.ControlPlane.TrustBundlePem, bundle);
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("weft-ca", KubeCluster.WeftNamespace);
        Assert.Equal(controller.ControlPlane.CertificateAuthority.Root.RawData, X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"])).RawData);
    }

    [Fact]
    public async Task A_namespace_setting_Weft_skips_is_logged_once_while_it_stands_and_again_once_broken_again()
    {
        await using var cluster = await KubeCluster.StartAsync();
        // A long lease: a new term would say the standing warnings again, and CI's load must not end this one.
        await cluster.StartControllerAsync("replica-a", o => o with { LeaseDuration = TimeSpan.FromSeconds(60), RenewDeadline = TimeSpan.FromSeconds(45) });
        const string Skipped = "Warning: Namespace shop: label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped";
        int Said() => cluster.Log.Lines.Count(line => line == Skipped);
        Task Label(string policy) => cluster.Client.CoreV1.PatchNamespaceAsync(
            new V1Patch(new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["weft.dev/outbound-policy"] = policy } } }.ToJsonString(),
                V1Patch.PatchType.MergePatch), "shop");

        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await Label("registry_only");
        await cluster.EventuallyAsync(() => Task.FromResult(Said()), n => n == 1, "the typo named");

        await Label("registry-only");
        const string Fixed = "Information: Namespace shop no longer has: label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped";
        await cluster.EventuallyAsync(() => Task.FromResult(cluster.Log.Lines.Contains(Fixed)), said => said, "the fix noticed");
        Assert.Equal(1, Said());

        await Label("registry_only");
        await cluster.EventuallyAsync(() => Task.FromResult(Said()), n => n == 2, "named again once broken again");
    }

    [Fact]
    public async Task An_xmesh_naming_weft_is_accepted_with_the_features_weft_claims()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync("""
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XMesh
            metadata: {name: weft}
            spec: {controllerName: weft.dev/mesh}
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XMesh
            metadata: {name: someone-else}
            spec: {controllerName: example.com/other-mesh}
            """);
        await cluster.StartControllerAsync("replica-a");

        async Task<JsonObject> Mesh(string name) =>
            JsonNode.Parse((await cluster.Client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>("gateway.networking.x-k8s.io", "v1alpha1", "xmeshes", name)).GetRawText())!.AsObject();

        var mesh = await cluster.EventuallyAsync(() => Mesh("weft"), m => m["status"]?["supportedFeatures"] is not null, "the XMesh status");

        Assert.Equal("Accepted=True/Accepted@1", KubeCluster.ConditionOf(mesh["status"]!.AsObject(), "Accepted"));
        var features = (mesh["status"]!["supportedFeatures"] as JsonArray)!.Select(f => f!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(global::Weft.Routing.MeshFeatures.Supported.Order(StringComparer.Ordinal), features);
        Assert.Null((await Mesh("someone-else"))["status"]?["supportedFeatures"]);
    }

    [Fact]
    public async Task With_the_standard_channel_crds_the_missing_xmesh_kind_reads_as_empty_and_tcproutes_are_read_at_v1()
    {
        await using var cluster = await KubeCluster.StartAsync("standard");
        await cluster.ApplyAsync(Shop + """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: TCPRoute
            metadata: {name: cart-tcp, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
              rules: [{backendRefs: [{name: cart-v2, port: 80}]}]
            """);
        var controller = await cluster.StartControllerAsync("replica-a");

        var tcp = await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-tcp", "tcproutes"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") is not null, "the TCPRoute's status");
        Assert.NotNull(KubeCluster.ConditionOf(KubeCluster.ParentOf(tcp, Weft), "ResolvedRefs"));
        Assert.False(controller.Source.InformerOf(KubeResource.Meshes).Served);
        Assert.Equal("v1", controller.Source.InformerOf(KubeResource.TcpRoutes).ServedVersion);
        Assert.Contains(cluster.Log.Lines, l => l.Contains("serves no xmeshes.gateway.networking.x-k8s.io", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pod_status_change_other_than_its_ip_keeps_the_pod_as_read_so_a_readiness_flip_only_moves_endpoints()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop + CartPodYaml + """

            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: cart-abc, namespace: shop, labels: {kubernetes.io/service-name: cart}}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:
            - addresses: [10.0.0.7]
              conditions: {ready: false}
              targetRef: {kind: Pod, namespace: shop, name: cart-0}
            """);
        await PatchPodStatusAsync(cluster, """{"status":{"phase":"Running","podIP":"10.0.0.7","conditions":[{"type":"Ready","status":"False"}]}}""");
        var controller = await cluster.StartControllerAsync("replica-a");
        var store = controller.ControlPlane.Store;
        var read = await cluster.EventuallyAsync(() => Task.FromResult(CartPod(store)), p => p?.PodIP == "10.0.0.7", "the pod with its IP");

        // The kubelet marks the pod ready, then the EndpointSlice controller its endpoint: the store takes the slice, and
        // keeps the Pod it read, so that the next model moves the Service's endpoints instead of building everything again.
        var pod = await PatchPodStatusAsync(cluster, """{"status":{"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","ready":true,"restartCount":0}]}}""");
        var slice = await cluster.Client.DiscoveryV1.PatchNamespacedEndpointSliceAsync(
            new V1Patch("""{"endpoints":[{"addresses":["10.0.0.7"],"conditions":{"ready":true},"targetRef":{"kind":"Pod","namespace":"shop","name":"cart-0"}}]}""", V1Patch.PatchType.MergePatch),
            "cart-abc", "shop");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            // Both writes in the store: the pod's status event has been read too, not only the slice's.
            await controller.Source.WaitForResourceVersionsAsync(
                new Dictionary<string, string>
                {
                    [KubeResource.Pods.QualifiedName] = pod.Metadata.ResourceVersion,
                    [KubeResource.EndpointSlices.QualifiedName] = slice.Metadata.ResourceVersion,
                },
                timeout.Token);
        }

        Assert.True(store.Snapshot().Mesh.EndpointSlices.Single(e => e.Name == "cart-abc").Endpoints.Single().Conditions.Ready);
        Assert.Same(read, CartPod(store));

        // Its IP is what the mesh reads of a pod's status: a new one is a new Pod.
        await PatchPodStatusAsync(cluster, """{"status":{"podIP":"10.0.0.8"}}""");
        await cluster.EventuallyAsync(() => Task.FromResult(CartPod(store)), p => p?.PodIP == "10.0.0.8", "the pod with its new IP");
        Assert.NotSame(read, CartPod(store));

        static global::Weft.Api.Model.Pod? CartPod(global::Weft.ControlPlane.Objects.ObjectStore store) => store.Snapshot().Mesh.Pods.SingleOrDefault(p => p.Name == "cart-0");

        static Task<V1Pod> PatchPodStatusAsync(KubeCluster cluster, string patch) =>
            cluster.Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), "cart-0", "shop");
    }

    [Fact]
    public async Task A_pod_created_or_deleted_changes_only_the_store_s_list_of_pods()
    {
        // Issue 18: at 50,000 Services a pod created made the store key, look up and sort every object again and the
        // model start over; the store now edits its lists (the others stay the same instances, which is also what lets
        // the next model keep everything that does not read the pod).
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop + CartPodYaml);
        var controller = await cluster.StartControllerAsync("replica-a");
        var store = controller.ControlPlane.Store;
        await cluster.EventuallyAsync(() => Task.FromResult(Pods(store)), p => p == "cart-0", "the first pod");
        var before = store.Snapshot();

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "cart-1", NamespaceProperty = "shop" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "cart" }] } },
            "shop");
        await cluster.EventuallyAsync(() => Task.FromResult(Pods(store)), p => p == "cart-0 cart-1", "the pod created");
        var created = store.Snapshot();
        Assert.Same(before.Mesh.Services, created.Mesh.Services);
        Assert.Same(before.Mesh.Routes, created.Mesh.Routes);
        Assert.Same(before.Mesh.Namespaces, created.Mesh.Namespaces);
        Assert.Same(before.Mesh.Pods[0], created.Mesh.Pods[0]);

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("cart-0", "shop");
        await cluster.EventuallyAsync(() => Task.FromResult(Pods(store)), p => p == "cart-1", "the pod deleted");
        Assert.Same(before.Mesh.Services, store.Snapshot().Mesh.Services);
        Assert.Same(created.Mesh.Pods[1], store.Snapshot().Mesh.Pods.Single());
        Assert.Equal(store.Snapshot().Objects.OfType<global::Weft.Api.Model.Pod>(), store.Snapshot().Mesh.Pods);

        static string Pods(global::Weft.ControlPlane.Objects.ObjectStore store) => string.Join(" ", store.Snapshot().Mesh.Pods.Select(p => p.Name));
    }

    [Fact]
    public async Task Lists_come_in_pages_joined_by_continue_tokens()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a", o => o with { Informers = new KubeInformerOptions { PageSize = 1 } });

        // Two Services in shop and the API server's own default/kubernetes: three pages of one.
        var informer = controller.Source.InformerOf(KubeResource.Services);
        var services = informer.Objects;
        Assert.True(informer.Pages >= 3 * informer.Lists, $"{informer.Pages} pages in {informer.Lists} lists");
        Assert.Contains("shop/cart", services.Keys);
        Assert.Contains("shop/cart-v2", services.Keys);
        Assert.Contains("default/kubernetes", services.Keys);
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"), r => KubeCluster.ParentOf(r, Weft) is not null, "status from a paged read");
    }

    [Fact]
    public async Task A_dropped_watch_is_resumed_from_the_last_version_without_listing_again()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a");
        var routes = controller.Source.InformerOf(KubeResource.HttpRoutes);
        await cluster.EventuallyAsync(() => Task.FromResult(cluster.Server.OpenWatches), n => n >= KubeResource.MeshInputs.Count, "every informer watching");

        Assert.True(cluster.Server.DropWatches() > 0);
        await cluster.ApplyAsync("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: after-drop, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
              rules: [{backendRefs: [{name: cart, port: 80}]}]
            """);

        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "after-drop"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=True/Accepted@1", "the status of a route made after the drop");
        Assert.Equal(1, routes.Lists);
        Assert.True(routes.Watches >= 2, $"{routes.Watches} watches");
    }

    [Fact]
    public async Task An_expired_resource_version_410_makes_the_informer_list_again()
    {
        // No bookmarks: one carrying the ConfigMap's version below would let every informer resume from it (the newest,
        // not expired) — on a loaded machine the few milliseconds between the write and the compaction were enough.
        await using var cluster = await KubeCluster.StartAsync(bookmarkInterval: TimeSpan.FromHours(1));
        await cluster.ApplyAsync(Shop);
        var controller = await cluster.StartControllerAsync("replica-a");
        await cluster.EventuallyAsync(() => Task.FromResult(cluster.Server.OpenWatches), n => n >= KubeResource.MeshInputs.Count, "every informer watching");

        // The newest change is one no informer watches (a ConfigMap), then history is forgotten and the watches are cut:
        // every informer resumes from a version older than the history kept, and gets 410 Gone.
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "unwatched", NamespaceProperty = "shop" } }, "shop");
        cluster.Server.Compact();
        cluster.Server.DropWatches();
        await cluster.EventuallyAsync(() => Task.FromResult(controller.Source.Informers.Count(i => i.Lists >= 2)), n => n > 0, "an informer listing again");

        // Listed again, it still follows the cluster.
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"backendRefs":[{"name":"cart-v3","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=False/BackendNotFound@2", "the status after the relist");
        Assert.Contains(cluster.Log.Lines, l => l.Contains("expired", StringComparison.Ordinal) && l.Contains("410", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stopping_leader_gives_the_lease_up_and_another_replica_takes_over_status()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var a = await cluster.StartControllerAsync("replica-a");
        var b = await cluster.StartControllerAsync("replica-b");
        await cluster.EventuallyAsync(() => Task.FromResult(a.IsLeader || b.IsLeader), l => l, "a leader");
        var (leader, follower) = a.IsLeader ? (a, b) : (b, a);
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "Accepted") == "Accepted=True/Accepted@1", "the first status");

        // A clean stop releases the Lease (a killed leader's is waited out: ControllerCommandTests in Weft.Cli.Tests).
        await leader.DisposeAsync();
        var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("weft-controller", KubeCluster.WeftNamespace);
        Assert.True(string.IsNullOrEmpty(lease.Spec.HolderIdentity) || lease.Spec.HolderIdentity == follower.Options.Identity, lease.Spec.HolderIdentity);
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"rules":[{"backendRefs":[{"name":"cart-v3","port":80}]}]}}""", V1Patch.PatchType.MergePatch),
            "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary");
        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-canary"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, Weft), "ResolvedRefs") == "ResolvedRefs=False/BackendNotFound@2", "the new leader's status");

        Assert.True(follower.IsLeader);
        // (The counter is bumped once the server has answered, which may be just after the status can be read.)
        await cluster.EventuallyAsync(() => Task.FromResult(follower.Status.Writes), n => n > 0, "the follower's writes counted");
    }

    [Fact]
    public async Task A_certificate_is_issued_for_the_reviewed_token_identity_over_tls_verified_by_the_trust_bundle()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var token = await PodTokenAsync(cluster, "client", "client-0");
        var controller = await cluster.StartControllerAsync("replica-a");
        var roots = await cluster.TrustBundleAsync();

        var reply = await IssueAsync(controller, roots, token, san: null);

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/client", reply.SpiffeId);
        var certificate = X509CertificateLoader.LoadCertificate(reply.CertificateDer.ToByteArray());
        Assert.Equal(roots[0].Subject, certificate.Issuer);
        // The token lives an hour: the certificate does not outlive it (the CA's default would be 24 h).
        Assert.True(certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow.AddHours(1).AddSeconds(5), $"valid until {certificate.NotAfter:O}");

        // Without the mesh's roots the controller's serving certificate is not trusted.
        var untrusted = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(controller, roots: null, token, san: null));
        Assert.Contains("SSL", untrusted.Status.Detail + untrusted.Status.DebugException, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_certificate_request_naming_another_service_account_is_refused()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var token = await PodTokenAsync(cluster, "client", "client-0");
        var controller = await cluster.StartControllerAsync("replica-a");
        var roots = await cluster.TrustBundleAsync();

        var forged = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(controller, roots, token, san: "spiffe://cluster.local/ns/shop/sa/admin"));

        Assert.Equal(StatusCode.InvalidArgument, forged.StatusCode);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/admin", forged.Status.Detail, StringComparison.Ordinal);
        var same = await IssueAsync(controller, roots, token, san: "spiffe://cluster.local/ns/shop/sa/client");
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/client", same.SpiffeId);
    }

    [Fact]
    public async Task A_token_of_a_deleted_pod_or_for_another_audience_or_not_bound_to_a_pod_is_refused()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Shop);
        var token = await PodTokenAsync(cluster, "client", "client-0");
        var otherAudience = cluster.Server.IssueToken("shop", "client", "client-0", ["vault"], TimeSpan.FromHours(1));
        var unbound = cluster.Server.IssueToken("shop", "client", null, ["weft"], TimeSpan.FromHours(1));
        var controller = await cluster.StartControllerAsync("replica-a");
        var roots = await cluster.TrustBundleAsync();
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/client", (await IssueAsync(controller, roots, token, san: null)).SpiffeId);

        var audience = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(controller, roots, otherAudience, san: null));
        var garbage = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(controller, roots, "not-a-token", san: null));
        Assert.Contains("not a service-account token", garbage.Status.Detail, StringComparison.Ordinal);
        var notBound = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(controller, roots, unbound, san: null));
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("client-0", "shop");

        // Refused once the controller's view has the deletion: until its informer sees it, the review it reused for this
        // token (CallerAuthentication) may predate the deletion, as a cached TokenReview would in a cluster.
        var deleted = await Eventually.ValueAsync(
            async () =>
            {
                try
                {
                    await IssueAsync(controller, roots, token, san: null);
                    return null;
                }
                catch (RpcException e)
                {
                    return e;
                }
            },
            e => e is not null,
            "the deleted pod's token refused");

        // The API server's TokenReview refuses each: the call is not authenticated (issue 15: every call carries the token).
        Assert.Equal(StatusCode.Unauthenticated, audience.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, notBound.StatusCode);
        Assert.Contains("not bound to a pod", notBound.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, deleted!.StatusCode);
    }

    [Fact]
    public async Task Replicas_starting_together_share_one_mesh_root_kept_in_its_secret_across_restarts()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var started = await Task.WhenAll(cluster.StartControllerAsync("replica-a"), cluster.StartControllerAsync("replica-b"));

        Assert.Equal(started[0].ControlPlane.TrustBundlePem, started[1].ControlPlane.TrustBundlePem);
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("weft-ca", KubeCluster.WeftNamespace);
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal(started[0].ControlPlane.CertificateAuthority.Root.RawData, X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"])).RawData);
        var bundle = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("weft-trust-bundle", KubeCluster.WeftNamespace);
        Assert.Equal(started[0].ControlPlane.TrustBundlePem, bundle.Data["ca.crt"]);

        await started[0].DisposeAsync();
        await started[1].DisposeAsync();
        var restarted = await cluster.StartControllerAsync("replica-c");
        Assert.Equal(started[0].ControlPlane.TrustBundlePem, restarted.ControlPlane.TrustBundlePem);
    }

    private static string AcceptedTransition(JsonObject? route) =>
        (KubeCluster.ParentOf(route, Weft)!["conditions"] as JsonArray)!.OfType<JsonObject>()
            .First(c => c["type"]!.GetValue<string>() == "Accepted")["lastTransitionTime"]!.GetValue<string>();

    private static Task<string> PodTokenAsync(KubeCluster cluster, string serviceAccount, string pod) => cluster.PodTokenAsync("shop", serviceAccount, pod);

    private static async Task<IssueCertificateReply> IssueAsync(KubeController controller, X509Certificate2Collection? roots, string token, string? san)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256);
        if (san is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri(san));
            request.CertificateExtensions.Add(names.Build());
        }

        using var channel = DiscoveryChannel.Create(controller.Address, roots, global::Weft.Discovery.DiscoveryCredentials.Bearer(token));
        return await new Discovery.V1.Discovery.DiscoveryClient(channel).IssueCertificateAsync(
            new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(request.CreateSigningRequest()) },
            deadline: DateTime.UtcNow.AddSeconds(20));
    }
}
