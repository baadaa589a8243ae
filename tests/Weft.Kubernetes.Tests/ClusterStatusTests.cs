using System.Text.Json.Nodes;
using k8s;
using Weft.Conformance.Tests;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// <c>weft status --kubeconfig FILE</c> without <c>--control-plane</c>: what the API server holds of what Weft's
/// controller wrote, routes' and AuthorizationPolicies' status alike, and what only the controller can say.
/// </summary>
public sealed class ClusterStatusTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WeftChildren _children = new(output);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-cluster-status-").FullName;
    private KubeApiServer _api = null!;

    private string Kubeconfig => Path.Combine(_work, "kubeconfig");

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds, SharedFiles.WeftCrd] });
        _api.WriteKubeconfig(Kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await _children.DisposeAsync();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Status_of_a_cluster_shows_the_AuthorizationPolicy_status_the_controller_wrote_to_the_API_server()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
        await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "shop" } });
        var policy = new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "policy.weft.dev/v1alpha1",
            ["kind"] = "AuthorizationPolicy",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "cart-orders", ["namespace"] = "shop" },
            ["spec"] = System.Text.Json.Nodes.JsonNode.Parse("""{"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "cart", "sectionName": "nosuchrule"}], "action": "ALLOW", "rules": [{"from": [{"serviceAccounts": [{"namespace": "shop", "name": "client"}]}]}]}"""),
        };
        var created = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(((System.Text.Json.JsonElement)await client.CustomObjects.CreateNamespacedCustomObjectAsync(policy, "policy.weft.dev", "v1alpha1", "shop", "authorizationpolicies")).GetRawText())!;

        // As the controller writes it, beside another controller's entry (which weft status leaves out).
        static string Ancestor(string controller, string reason, string message) => $$"""
            {"ancestorRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "cart", "namespace": "shop", "sectionName": "nosuchrule"}, "controllerName": "{{controller}}",
             "conditions": [{"type": "Accepted", "status": "False", "reason": "{{reason}}", "message": "{{message}}", "observedGeneration": 1, "lastTransitionTime": "2026-12-06T00:00:00Z"}]}
            """;
        created["status"] = System.Text.Json.Nodes.JsonNode.Parse($$"""{"ancestors": [{{Ancestor("example.com/other", "Other", "theirs")}}, {{Ancestor(Weft.Routing.MeshModel.DefaultControllerName, "TargetNotFound", "HTTPRoute shop/cart has no rule named nosuchrule")}}]}""");
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, "policy.weft.dev", "v1alpha1", "shop", "authorizationpolicies", "cart-orders");

        var (code, text) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig]);
        Assert.True(code == 0, text);
        Assert.Contains("AuthorizationPolicy shop/cart-orders", text, StringComparison.Ordinal);
        Assert.Contains("target HTTPRoute shop/cart section nosuchrule", text, StringComparison.Ordinal);
        Assert.Contains("TargetNotFound", text, StringComparison.Ordinal);
        Assert.Contains("HTTPRoute shop/cart has no rule named nosuchrule", text, StringComparison.Ordinal);
        Assert.DoesNotContain("theirs", text, StringComparison.Ordinal);
        Assert.Contains("proxy subscriptions: the controller's; pass --control-plane", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_a_cluster_shows_a_route_and_a_policy_the_controller_refused_with_the_loader_s_words_from_the_API_and_from_the_controller()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

        // The stand-in, like an API server without the CRDs' CEL rules and enums, stores a path that does not start with
        // '/' and an action that is neither ALLOW nor DENY.
        foreach (var obj in Weft.Api.ManifestJson.Documents("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: weft-system}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: cart, namespace: shop}
            spec:
              selector: {app: cart}
              ports: [{name: http, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: cart-beta, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
              rules:
              - matches: [{path: {type: PathPrefix, value: beta}}]
                backendRefs: [{name: cart, port: 80}]
            ---
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: permit, namespace: shop}
            spec:
              targetRefs: [{group: "", kind: Service, name: cart}]
              action: PERMIT
            """))
        {
            await KubeResource.Of(obj)!.CreateAsync(client, obj, CancellationToken.None);
        }

        await using var controller = await KubeController.StartAsync(new KubeControllerOptions
        {
            Client = client,
            Identity = "status-test",
            ListenAddress = "127.0.0.1",
            Port = 0,
        }, CancellationToken.None);
        static bool Written(JsonObject? obj, string list) => obj?["status"]?[list] is JsonArray { Count: > 0 };
        await WeftChildren.WaitAsync(
            () => Written(KubeResource.HttpRoutes.GetAsync(client, "shop", "cart-beta", CancellationToken.None).GetAwaiter().GetResult(), "parents")
                && Written(KubeResource.AuthorizationPolicies.GetAsync(client, "shop", "permit", CancellationToken.None).GetAwaiter().GetResult(), "ancestors"),
            TimeSpan.FromSeconds(30), () => "no status written on the refused route and policy");

        var (code, text) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig]);

        Assert.True(code == 0, text);
        Assert.DoesNotContain("No routes found", text, StringComparison.Ordinal);
        Assert.Contains("HTTPRoute shop/cart-beta (generation 1)\n  parent Service shop/cart port 80\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("✗ Accepted         False   UnsupportedValue   spec.rules[0].matches[0].path: Invalid value: \"object\": value must be an absolute path and start with '/'", text, StringComparison.Ordinal);
        Assert.Contains("AuthorizationPolicy shop/permit", text, StringComparison.Ordinal);
        Assert.Contains("Invalid            spec.action: Unsupported value: \"PERMIT\"", text, StringComparison.Ordinal);

        // The controller's own answer names them too: neither is in its model, so only its refusals can.
        var (answerCode, answer) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig, "--control-plane", controller.ControlPlane.Address.ToString()]);
        Assert.True(answerCode == 0, answer);
        Assert.Contains("error: AuthorizationPolicy shop/permit is invalid: spec.action: Unsupported value: \"PERMIT\"", answer, StringComparison.Ordinal);
        Assert.Contains("error: HTTPRoute shop/cart-beta is invalid: spec.rules[0].matches[0].path: Invalid value:", answer, StringComparison.Ordinal);
        Assert.Contains("(generation 1, refused: the mesh applies nothing of it)", answer, StringComparison.Ordinal);
    }
}
