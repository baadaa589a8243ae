using System.Text.Json.Nodes;
using k8s;
using Weft.Api;
using Weft.Cli.Local;
using Weft.Cli.Local.Api;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// weft up's <c>kubectl apply -f DIR</c>, kept up (<see cref="ManifestApplier"/>), against the API server stand-in: it
/// adopts nothing it did not apply, as helm does not. An object of DIR's name that exists without the label
/// <c>weft.dev/applied-by: weft-up</c> is never replaced, relabelled or deleted: a Namespace is used as it is, any other
/// kind is reported as refused; what weft up applied, or an earlier weft up left (labelled), is deleted when it stops.
/// What it applied and someone deleted is applied again, as a GitOps controller puts back what its source declares.
/// </summary>
public sealed class ManifestApplierTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-applier-").FullName;
    private readonly StringWriter _text = new();
    private readonly TextWriter _progress;
    private KubeApiServer _api = null!;
    private k8s.Kubernetes _client = null!;

    public ManifestApplierTests() => _progress = TextWriter.Synchronized(_text); // its writes lock on it

    private string Manifests => Path.Combine(_work, "manifests");

    private string Progress
    {
        get
        {
            lock (_progress)
            {
                return _text.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds], ServiceCidr = "127.0.0.0/8" });
        var kubeconfig = _api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"));
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        Directory.CreateDirectory(Manifests);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_namespace_that_exists_without_the_label_is_used_as_it_is_and_outlives_weft_up_with_what_is_in_it()
    {
        await CreateAsync(KubeResource.Namespaces, """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "l4", "labels": {"team": "payments"}}}""");
        await CreateAsync(KubeResource.ConfigMaps, """{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "user-data", "namespace": "l4"}, "data": {"k": "theirs"}}""");
        var before = await ReadAsync(KubeResource.Namespaces, null, "l4");
        await File.WriteAllTextAsync(Path.Combine(Manifests, "l4.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata: {name: l4, labels: {weft.dev/mesh: l4}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: mine, namespace: l4}
            data: {k: mine}
            """);

        await using (var applier = await StartAsync())
        {
            var ns = await ReadAsync(KubeResource.Namespaces, null, "l4");
            Assert.Equal(KubeResource.ResourceVersionOf(before!), KubeResource.ResourceVersionOf(ns!));
            Assert.Equal("payments", ns!["metadata"]!["labels"]!["team"]!.GetValue<string>());
            Assert.Null(ns["metadata"]!["labels"]![ManifestApplier.AppliedByLabel]);
            Assert.NotNull(await ReadAsync(KubeResource.ConfigMaps, "l4", "mine")); // the rest of DIR goes into it
            Assert.Single(Lines("Namespace l4 exists and was not applied by weft up: used as it is (not replaced, and not deleted when weft up stops)"));

            await applier.ApplyAsync(force: true, CancellationToken.None);
            Assert.Single(Lines("Namespace l4 exists")); // said once
        }

        var after = await ReadAsync(KubeResource.Namespaces, null, "l4");
        Assert.NotNull(after);
        Assert.Equal("payments", after["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("theirs", (await ReadAsync(KubeResource.ConfigMaps, "l4", "user-data"))!["data"]!["k"]!.GetValue<string>());
        Assert.Null(await ReadAsync(KubeResource.ConfigMaps, "l4", "mine")); // weft up's own goes
    }

    [Fact]
    public async Task A_namespace_used_as_it_is_whose_weft_settings_differ_from_DIRs_is_warned_of_setting_by_setting_and_the_clusters_stay()
    {
        await CreateAsync(KubeResource.Namespaces, """
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
             "labels": {"team": "payments", "weft.dev/mtls": "permissive", "weft.dev/mesh": "l4", "weft.dev/outbound-policy": "registry-only"},
             "annotations": {"weft.dev/trace-collector": "http://collector:4318"}}}
            """);
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {team: shop, weft.dev/mtls: strict, weft.dev/mesh: l4, weft.dev/default-inbound-policy: deny}
              annotations: {weft.dev/trace-collector: "http://other:4318"}
            """);

        await using (await StartAsync())
        {
            var labels = (await ReadAsync(KubeResource.Namespaces, null, "shop"))!["metadata"]!["labels"]!;
            Assert.Equal("permissive", labels["weft.dev/mtls"]!.GetValue<string>()); // left as it is
            Assert.Null(labels["weft.dev/default-inbound-policy"]);
            Assert.Single(Lines("Namespace shop exists and was not applied by weft up: used as it is"));
            string[] expected =
            [
                $"warning: Namespace shop is used as it is: its label weft.dev/default-inbound-policy is not set, {Manifests} says 'deny': "
                    + $"the mesh follows the cluster's (kubectl label ns shop weft.dev/default-inbound-policy=deny to follow {Manifests})",
                $"warning: Namespace shop is used as it is: its label weft.dev/mtls is 'permissive', {Manifests} says 'strict': "
                    + $"the mesh follows the cluster's (kubectl label ns shop weft.dev/mtls=strict --overwrite to follow {Manifests})",
                $"warning: Namespace shop is used as it is: its label weft.dev/outbound-policy is 'registry-only', {Manifests} does not set it: "
                    + $"the mesh follows the cluster's (kubectl label ns shop weft.dev/outbound-policy- to follow {Manifests})",
                $"warning: Namespace shop is used as it is: its annotation weft.dev/trace-collector is 'http://collector:4318', {Manifests} says 'http://other:4318': "
                    + $"the mesh follows the cluster's (kubectl annotate ns shop weft.dev/trace-collector=http://other:4318 --overwrite to follow {Manifests})",
            ];
            Assert.Equal(expected, Lines("warning: Namespace shop")); // nothing of weft.dev/mesh, on which they agree, nor of team
        }
    }

    [Fact]
    public async Task A_namespace_setting_the_cluster_holds_is_shown_escaped_so_that_whoever_annotates_the_namespace_cannot_drive_the_terminal()
    {
        await CreateAsync(KubeResource.Namespaces, """
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "annotations": {"weft.dev/trace-collector": "\u001b]0;pwned\u0007"}}}
            """);
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");

        await using (await StartAsync())
        {
            Assert.Equal(
                [$"warning: Namespace shop is used as it is: its annotation weft.dev/trace-collector is '\\x1b]0;pwned\\x07', {Manifests} does not set it: "
                    + $"the mesh follows the cluster's (kubectl annotate ns shop weft.dev/trace-collector- to follow {Manifests})"],
                Lines("warning: Namespace shop"));
            Assert.DoesNotContain('\u001b', Progress);
            Assert.DoesNotContain('\u0007', Progress);
        }
    }

    [Fact]
    public async Task An_HTTPRoute_and_a_Service_that_exist_without_the_label_are_refused_and_left_and_weft_ups_own_go_at_stop()
    {
        await CreateAsync(KubeResource.Namespaces, """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}""");
        await CreateAsync(KubeResource.Services, """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "cart", "namespace": "shop", "labels": {"owner": "team"}},
             "spec": {"clusterIP": "127.0.0.251", "ports": [{"port": 80}]}}
            """);
        await CreateAsync(KubeResource.HttpRoutes, """
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "cart-canary", "namespace": "shop"},
             "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "cart"}], "rules": [{"backendRefs": [{"name": "cart", "port": 80}]}]}}
            """);
        var serviceBefore = await ReadAsync(KubeResource.Services, "shop", "cart");
        var routeBefore = await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary");
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);
        await File.WriteAllTextAsync(Path.Combine(Manifests, "own.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: cart-v2, namespace: shop}\nspec: {ports: [{port: 8080}]}\n");

        await using (await StartAsync()) // the refusals do not stop the start: the rest is applied
        {
            Assert.Equal(serviceBefore!.ToJsonString(), (await ReadAsync(KubeResource.Services, "shop", "cart"))!.ToJsonString());
            Assert.Equal(routeBefore!.ToJsonString(), (await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary"))!.ToJsonString());
            const string Reason = "it exists and was not applied by weft up (no label weft.dev/applied-by: weft-up), so it is left as it is, "
                + "neither replaced nor deleted when weft up stops: delete it or rename yours";
            Assert.Single(Lines($"warning: refused services/shop/cart: {Reason}"));
            Assert.Single(Lines($"warning: refused httproutes.gateway.networking.k8s.io/shop/cart-canary: {Reason}"));
            var own = await ReadAsync(KubeResource.Services, "shop", "cart-v2");
            Assert.Equal(ManifestApplier.AppliedBy, own!["metadata"]!["labels"]![ManifestApplier.AppliedByLabel]!.GetValue<string>());
        }

        Assert.Equal(serviceBefore.ToJsonString(), (await ReadAsync(KubeResource.Services, "shop", "cart"))!.ToJsonString());
        Assert.Equal(routeBefore.ToJsonString(), (await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary"))!.ToJsonString());
        Assert.NotNull(await ReadAsync(KubeResource.Namespaces, null, "shop"));
        Assert.Null(await ReadAsync(KubeResource.Services, "shop", "cart-v2"));
    }

    [Fact]
    public async Task Once_the_user_deletes_an_object_weft_up_refused_as_theirs_DIRs_is_applied()
    {
        // The refusal's warning says "delete it or rename yours": deleting it must be enough, without an edit of DIR.
        await CreateAsync(KubeResource.Namespaces, """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}""");
        await CreateAsync(KubeResource.HttpRoutes, """
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "cart-canary", "namespace": "shop"},
             "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "cart"}], "rules": [{"backendRefs": [{"name": "cart", "port": 80}]}]}}
            """);
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);

        await using (await StartAsync(resync: TimeSpan.FromMilliseconds(200)))
        {
            Assert.Single(Lines("warning: refused httproutes.gateway.networking.k8s.io/shop/cart-canary"));
            await KubeResource.HttpRoutes.DeleteAsync(_client, "shop", "cart-canary", CancellationToken.None);
            var ours = await WaitForAsync(KubeResource.HttpRoutes, "shop", "cart-canary");
            Assert.Equal(ManifestApplier.AppliedBy, ours["metadata"]!["labels"]![ManifestApplier.AppliedByLabel]!.GetValue<string>());
            Assert.Single(Lines($"httproutes.gateway.networking.k8s.io/shop/cart-canary, which weft up left as it was, is gone: applying {Manifests}'s"));
        }

        Assert.Null(await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary")); // DIR's, so deleted at stop
    }

    [Fact]
    public async Task What_an_earlier_weft_up_left_labelled_is_taken_over_and_deleted_at_stop()
    {
        await CreateAsync(KubeResource.Namespaces, """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "left", "labels": {"weft.dev/applied-by": "weft-up"}}}""");
        await CreateAsync(KubeResource.ConfigMaps, """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config", "namespace": "left", "labels": {"weft.dev/applied-by": "weft-up"}}, "data": {"k": "old"}}
            """);
        await File.WriteAllTextAsync(Path.Combine(Manifests, "left.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata: {name: left}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: config, namespace: left}
            data: {k: new}
            """);

        await using (await StartAsync())
        {
            Assert.Equal("new", (await ReadAsync(KubeResource.ConfigMaps, "left", "config"))!["data"]!["k"]!.GetValue<string>());
            Assert.DoesNotContain("refused", Progress, StringComparison.Ordinal);
            Assert.DoesNotContain("exists and was not applied", Progress, StringComparison.Ordinal);
        }

        Assert.Null(await ReadAsync(KubeResource.ConfigMaps, "left", "config"));
        var ns = await ReadAsync(KubeResource.Namespaces, null, "left");
        Assert.True(ns is null || ns["metadata"]?["deletionTimestamp"] is not null, ns?.ToJsonString()); // deleted (or being deleted)
    }

    [Fact]
    public async Task What_weft_up_applied_and_was_deleted_outside_it_is_applied_again_a_namespace_with_what_was_in_it()
    {
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);

        await using (await StartAsync(resync: TimeSpan.FromMilliseconds(200)))
        {
            var route = await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary");
            await KubeResource.HttpRoutes.DeleteAsync(_client, "shop", "cart-canary", CancellationToken.None);
            var again = await WaitForAsync(KubeResource.HttpRoutes, "shop", "cart-canary");
            Assert.NotEqual(route!["metadata"]!["uid"]!.GetValue<string>(), again["metadata"]!["uid"]!.GetValue<string>());
            Assert.Single(Lines($"httproutes.gateway.networking.k8s.io/shop/cart-canary was deleted outside weft up and is in {Manifests}: applying it again"));

            // kubectl delete ns shop: the stand-in deletes what is in it too; all of it is put back, the namespace first.
            await KubeResource.Namespaces.DeleteAsync(_client, null, "shop", CancellationToken.None);
            await WaitForAsync(KubeResource.Namespaces, null, "shop");
            await WaitForAsync(KubeResource.Services, "shop", "cart");
            await WaitForAsync(KubeResource.HttpRoutes, "shop", "cart-canary");
            Assert.Single(Lines("namespaces/shop was deleted outside weft up"));
            Assert.Single(Lines("services/shop/cart was deleted outside weft up"));
            Assert.Equal(2, Lines("httproutes.gateway.networking.k8s.io/shop/cart-canary was deleted outside weft up").Length); // once per deletion
        }

        Assert.Null(await ReadAsync(KubeResource.Namespaces, null, "shop"));
    }

    [Fact]
    public async Task A_change_to_the_directory_applies_again_what_weft_up_applied_and_was_deleted_since()
    {
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);

        await using (await StartAsync(resync: TimeSpan.FromHours(1))) // no read-back but the change's
        {
            await KubeResource.Services.DeleteAsync(_client, "shop", "cart", CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(Manifests, "extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\n");
            await WaitForAsync(KubeResource.ConfigMaps, "shop", "extra");
            await WaitForAsync(KubeResource.Services, "shop", "cart");
        }
    }

    [Fact]
    public async Task A_CRD_in_DIR_is_Established_before_the_objects_of_its_kind_are_applied_and_applied_again_first_when_deleted_outside_weft_up()
    {
        // A server that takes a moment to establish a CRD, as kube-apiserver does: its kind is not served until then.
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8", CrdEstablishingDelay = TimeSpan.FromMilliseconds(500) });
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.WriteKubeconfig(Path.Combine(_work, "establishing.kubeconfig"))));
        File.Copy(Path.Combine(SharedFiles.Repository, "deploy", "crds", "gateway.networking.k8s.io_httproutes.yaml"), Path.Combine(Manifests, "crd.yaml"));
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);
        var crds = KubeResource.Of(JsonNode.Parse("""{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}""")!.AsObject())!;
        const string Crd = "httproutes.gateway.networking.k8s.io";

        await using (await StartAsync(resync: TimeSpan.FromMilliseconds(200), client: client))
        {
            Assert.NotNull(await KubeResource.HttpRoutes.GetAsync(client, "shop", "cart-canary", CancellationToken.None)); // applied at start, once served

            // kubectl delete crd: the server deletes its HTTPRoutes with it. The CRD is applied again, then, once served, the route.
            await crds.DeleteAsync(client, null, Crd, CancellationToken.None);
            var route = await WaitForAsync(KubeResource.HttpRoutes, "shop", "cart-canary", client);
            Assert.Equal(ManifestApplier.AppliedBy, route["metadata"]!["labels"]![ManifestApplier.AppliedByLabel]!.GetValue<string>());
            Assert.Single(Lines($"customresourcedefinitions.apiextensions.k8s.io/{Crd} was deleted outside weft up and is in {Manifests}: applying it again"));
            Assert.Single(Lines($"httproutes.gateway.networking.k8s.io/shop/cart-canary was deleted outside weft up and is in {Manifests}: applying it again"));
            Assert.DoesNotContain("does not serve", Progress, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_CRD_of_DIR_deleted_outside_weft_up_is_made_again_once_it_has_gone_not_while_it_is_Terminating()
    {
        // As kube-apiserver: a deleted CRD stays Terminating (finalizer, deletionTimestamp, still Established) while its
        // objects are deleted, refusing creates of its kind; a new one takes a moment to be Established.
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            ServiceCidr = "127.0.0.0/8", CrdEstablishingDelay = TimeSpan.FromMilliseconds(500), CrdTerminatingDelay = TimeSpan.FromSeconds(2),
        });
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.WriteKubeconfig(Path.Combine(_work, "terminating.kubeconfig"))));
        File.Copy(Path.Combine(SharedFiles.Repository, "deploy", "crds", "gateway.networking.k8s.io_httproutes.yaml"), Path.Combine(Manifests, "crd.yaml"));
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);
        var crds = KubeResource.Of(JsonNode.Parse("""{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}""")!.AsObject())!;
        const string Crd = "httproutes.gateway.networking.k8s.io";

        await using (await StartAsync(resync: TimeSpan.FromMilliseconds(200), client: client))
        {
            var route = await KubeResource.HttpRoutes.GetAsync(client, "shop", "cart-canary", CancellationToken.None);
            await crds.DeleteAsync(client, null, Crd, CancellationToken.None);
            var terminating = await crds.GetAsync(client, null, Crd, CancellationToken.None);
            Assert.NotNull(terminating!["metadata"]!["deletionTimestamp"]); // the window the read-back must not take for "present"

            var again = await WaitForAsync(KubeResource.HttpRoutes, "shop", "cart-canary", client);
            Assert.NotEqual(route!["metadata"]!["uid"]!.GetValue<string>(), again["metadata"]!["uid"]!.GetValue<string>());
            var crd = await crds.GetAsync(client, null, Crd, CancellationToken.None);
            Assert.Null(crd!["metadata"]!["deletionTimestamp"]); // made again after it went, not the terminating one replaced
            Assert.NotEqual(terminating["metadata"]!["uid"]!.GetValue<string>(), crd["metadata"]!["uid"]!.GetValue<string>());
            Assert.DoesNotContain("is terminating", Progress, StringComparison.Ordinal); // no refused create ("create not allowed while custom resource definition is terminating")
            Assert.Single(Lines($"customresourcedefinitions.apiextensions.k8s.io/{Crd} was deleted outside weft up and is in {Manifests}: applying it again"));
        }
    }

    [Fact]
    public async Task A_CRD_an_earlier_weft_up_left_that_is_Terminating_at_start_is_waited_for_and_made_again_not_replaced()
    {
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            ServiceCidr = "127.0.0.0/8", CrdEstablishingDelay = TimeSpan.FromMilliseconds(500), CrdTerminatingDelay = TimeSpan.FromSeconds(2),
        });
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.WriteKubeconfig(Path.Combine(_work, "terminating.kubeconfig"))));
        var crdPath = Path.Combine(SharedFiles.Repository, "deploy", "crds", "gateway.networking.k8s.io_httproutes.yaml");
        var crds = KubeResource.Of(JsonNode.Parse("""{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}""")!.AsObject())!;
        const string Crd = "httproutes.gateway.networking.k8s.io";
        var left = ManifestJson.Documents(await File.ReadAllTextAsync(crdPath)).Single();
        left["metadata"]!["labels"] = new JsonObject { [ManifestApplier.AppliedByLabel] = ManifestApplier.AppliedBy }; // an earlier weft up's, left behind
        await crds.CreateAsync(client, left, CancellationToken.None);
        await crds.DeleteAsync(client, null, Crd, CancellationToken.None); // kubectl delete crd, still Terminating when weft up starts
        File.Copy(crdPath, Path.Combine(Manifests, "crd.yaml"));
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);

        await using (await StartAsync(client: client)) // before: the terminating CRD replaced, taken for Established, the route refused (405): start failed
        {
            var route = await KubeResource.HttpRoutes.GetAsync(client, "shop", "cart-canary", CancellationToken.None);
            Assert.Equal(ManifestApplier.AppliedBy, route!["metadata"]!["labels"]![ManifestApplier.AppliedByLabel]!.GetValue<string>());
            Assert.Null((await crds.GetAsync(client, null, Crd, CancellationToken.None))!["metadata"]!["deletionTimestamp"]);
            Assert.Single(Lines($"customresourcedefinitions.apiextensions.k8s.io/{Crd} is being deleted"));
        }
    }

    [Fact]
    public async Task An_object_deleted_outside_weft_up_and_taken_out_of_DIR_by_the_same_edit_is_neither_applied_again_nor_said_to_be()
    {
        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);

        await using (await StartAsync(resync: TimeSpan.FromHours(1))) // no read-back but the edit's
        {
            await KubeResource.HttpRoutes.DeleteAsync(_client, "shop", "cart-canary", CancellationToken.None);
            await MoveIntoDirAsync("shop.yaml", ShopWithRoute[..ShopWithRoute.LastIndexOf("---", StringComparison.Ordinal)]
                + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: edited, namespace: shop}\n");
            await WaitForAsync(KubeResource.ConfigMaps, "shop", "edited"); // the edit's pass is done
            Assert.Null(await ReadAsync(KubeResource.HttpRoutes, "shop", "cart-canary"));
            Assert.DoesNotContain("cart-canary", Progress, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_read_back_of_an_unchanged_DIR_does_not_parse_DIR_again()
    {
        foreach (var crd in Directory.GetFiles(SharedFiles.GatewayApiCrds, "*.yaml"))
        {
            File.Copy(crd, Path.Combine(Manifests, Path.GetFileName(crd)));
        }

        await File.WriteAllTextAsync(Path.Combine(Manifests, "shop.yaml"), ShopWithRoute);
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8" }); // no CRDs: DIR's are weft up's
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.WriteKubeconfig(Path.Combine(_work, "crds.kubeconfig"))));
        await using var applier = await StartAsync(resync: TimeSpan.FromMilliseconds(50), client: client);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (applier.ReadBacks < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{applier.ReadBacks} read-backs in 15 s");
            await Task.Delay(50); // polling the condition, with the deadline above
        }

        Assert.Equal(1, applier.DirectoryReads); // at start only: the read-backs found DIR's content hash unchanged

        // A pass between a file's creation and its content would read DIR once more (a third read), which is right for DIR
        // and not what this test counts.
        await MoveIntoDirAsync("extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\n");
        await WaitForAsync(KubeResource.ConfigMaps, "shop", "extra", client);
        Assert.Equal(2, applier.DirectoryReads); // an edit is read
    }

    /// <summary>An edit of DIR in one step: written whole beside it, then moved in, so that no pass reads half of it.</summary>
    private async Task MoveIntoDirAsync(string name, string text)
    {
        var whole = Path.Combine(_work, name);
        await File.WriteAllTextAsync(whole, text);
        File.Move(whole, Path.Combine(Manifests, name), overwrite: true);
    }

    private const string ShopWithRoute = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: cart, namespace: shop}
        spec:
          selector: {app: cart}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: cart-canary, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: cart, port: 8080}]
          rules: [{backendRefs: [{name: cart, port: 8080}]}]
        """;

    private async Task<JsonObject> WaitForAsync(KubeResource kind, string? ns, string name, k8s.Kubernetes? client = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (await kind.GetAsync(client ?? _client, ns, name, CancellationToken.None) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{kind}/{ns}/{name} not applied again within 15 s; progress:\n{Progress}");
            await Task.Delay(50); // polling the condition, with the deadline above
        }
    }

    private async Task<ManifestApplier> StartAsync(TimeSpan? resync = null, k8s.Kubernetes? client = null)
    {
        var applier = new ManifestApplier(client ?? _client, Manifests, new AddressPlan(200), ImageMap.NotManifests, _progress) { ResyncInterval = resync ?? TimeSpan.FromHours(1) };
        try
        {
            await applier.StartAsync(CancellationToken.None);
            return applier;
        }
        catch
        {
            await applier.DisposeAsync();
            throw;
        }
    }

    private string[] Lines(string startingWith) =>
        [.. Progress.Split('\n').Where(l => l.StartsWith(startingWith, StringComparison.Ordinal))];

    private Task<JsonObject> CreateAsync(KubeResource kind, string json) => kind.CreateAsync(_client, JsonNode.Parse(json)!.AsObject(), CancellationToken.None);

    private Task<JsonObject?> ReadAsync(KubeResource kind, string? ns, string name) => kind.GetAsync(_client, ns, name, CancellationToken.None);
}
