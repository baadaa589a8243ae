using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;
using Weft.Routing.Authorization;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// AuthorizationPolicy (policy.weft.dev/v1alpha1) in Kubernetes mode: listed and watched like every mesh input, read by
/// the same loader, and its <c>status.ancestors[]</c> written in GEP-713's shape.
/// </summary>
public sealed class KubeAuthorizationPolicyTests
{
    private const string Policy = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: policy.weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: cart-allow-client, namespace: shop}
        spec:
          targetRefs:
          - {group: "", kind: Pod, selector: {matchLabels: {app: cart}}}
          action: ALLOW
          rules:
          - sources:
            - {type: ServiceAccount, serviceAccount: {namespace: shop, name: client}}
            http:
              methods: [POST]
        """;

    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<AuthorizationPolicy> Policies(KubeController controller) =>
        controller.ControlPlane.Store.Snapshot().Mesh.AuthorizationPolicies;

    [Fact]
    public async Task Authorization_policies_are_listed_then_watched_into_the_store_s_mesh_snapshot()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Policy);
        var controller = await cluster.StartControllerAsync("replica-a");

        // Listed: present once the source has synced.
        var listed = Assert.Single(Policies(controller));
        Assert.Equal(("shop", "cart-allow-client", AuthorizationAction.Allow), (listed.Namespace, listed.Name, listed.Spec.Action));
        Assert.Equal("client", listed.Spec.Rules[0].Sources![0].ServiceAccount!.Name);
        Assert.Equal(["POST"], listed.Spec.Rules[0].Http!.Methods);
        Assert.True(controller.Source.InformerOf(KubeResource.AuthorizationPolicies).Served);

        // Watched: a new one arrives, a deleted one leaves.
        await cluster.ApplyAsync("""
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: deny-probe, namespace: shop}
            spec:
              targetRefs: [{group: "", kind: Service, name: cart}]
              action: DENY
              rules: [{sources: [{type: SPIFFE, spiffe: "spiffe://cluster.local/ns/ops/sa/probe"}]}]
            """);
        await cluster.EventuallyAsync(() => Task.FromResult(Policies(controller)), p => p.Any(x => x.Name == "deny-probe" && x.Spec.Action == AuthorizationAction.Deny), "the new policy in the store");

        await KubeResource.AuthorizationPolicies.DeleteAsync(cluster.Client, "shop", "cart-allow-client", CancellationToken.None);
        var left = await cluster.EventuallyAsync(() => Task.FromResult(Policies(controller)), p => p.All(x => x.Name != "cart-allow-client"), "the deleted policy gone from the store");
        Assert.Equal(["deny-probe"], left.Select(p => p.Name));
    }

    [Fact]
    public async Task A_policy_the_loader_rejects_is_logged_and_left_out_while_the_rest_are_read()
    {
        await using var cluster = await KubeCluster.StartAsync();

        // The stand-in does not run the CRD's schema, so the bad object is stored as a server without validation would.
        await cluster.ApplyAsync(Policy + """

            ---
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: bad-action, namespace: shop}
            spec:
              targetRefs: [{group: "", kind: Pod, selector: {}}]
              action: AUDIT
            """);
        var controller = await cluster.StartControllerAsync("replica-a");

        Assert.Equal(["cart-allow-client"], Policies(controller).Select(p => p.Name));
        Assert.Contains(cluster.Log.Lines, l => l.Contains("Ignoring authorizationpolicies.policy.weft.dev shop/bad-action", StringComparison.Ordinal)
            && l.Contains("spec.action", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_policy_the_loader_refuses_is_not_accepted_for_each_target_with_the_loader_s_words()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: permit, namespace: shop}
            spec:
              targetRefs:
              - {group: "", kind: Service, name: cart}
              - {group: "", kind: Pod, selector: {matchLabels: {app: cart}}}
              action: PERMIT
            """);
        await cluster.StartControllerAsync("replica-a");

        var policy = await cluster.EventuallyAsync(() => KubeResource.AuthorizationPolicies.GetAsync(cluster.Client, "shop", "permit", CancellationToken.None),
            p => KubeCluster.AncestorsOf(p, "weft.dev/mesh").Count == 2, "the refused policy's ancestors");

        var ancestors = KubeCluster.AncestorsOf(policy, "weft.dev/mesh");
        Assert.Equal("""{"group":"","kind":"Service","namespace":"shop","name":"cart"}""", ancestors[0]["ancestorRef"]!.ToJsonString());
        Assert.Equal("""{"group":"","kind":"Pod","namespace":"shop","selector":{"matchLabels":{"app":"cart"}}}""", ancestors[1]["ancestorRef"]!.ToJsonString());
        foreach (var ancestor in ancestors)
        {
            Assert.Equal("Accepted=False/Invalid@1", KubeCluster.ConditionOf(ancestor, "Accepted"));
            Assert.StartsWith("spec.action: Unsupported value: \"PERMIT\"", (ancestor["conditions"] as JsonArray)![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_the_crd_the_kind_reads_as_empty_and_the_controller_syncs()
    {
        await using var cluster = await KubeCluster.StartAsync(weftCrds: false);
        var controller = await cluster.StartControllerAsync("replica-a");

        Assert.False(controller.Source.InformerOf(KubeResource.AuthorizationPolicies).Served);
        Assert.Empty(Policies(controller));
    }

    [Fact]
    public async Task Route_status_is_written_beside_authorization_policies_whatever_their_status_pass_does()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.ApplyAsync(Policy + """

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
            metadata: {name: cart-route, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: cart, port: 80}]
              rules: [{backendRefs: [{name: cart, port: 80}]}]
            """);
        await cluster.StartControllerAsync("replica-a");

        await cluster.EventuallyAsync(() => cluster.GetRouteAsync("shop", "cart-route"),
            r => KubeCluster.ConditionOf(KubeCluster.ParentOf(r, "weft.dev/mesh"), "Accepted") == "Accepted=True/Accepted@1", "the route's status");
    }

    private static AuthorizationTargetStatus Target(AuthorizationTargetReference target, string accepted, string reason, long generation = 1) =>
        new(target, "weft.dev/mesh",
            [new RouteCondition(AuthorizationConditions.Accepted, accepted, reason, $"{reason} message", generation),
             new RouteCondition(AuthorizationConditions.ResolvedRefs, "True", AuthorizationConditions.ResolvedRefs, "resolved", generation)],
            ["shop/cart-0"]);

    private static readonly AuthorizationTargetReference PodTarget = new()
    {
        Group = "", Kind = "Pod", Selector = new LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "cart" } },
    };

    private static readonly AuthorizationTargetReference RouteTarget = new() { Group = GatewayApi.Group, Kind = "HTTPRoute", Name = "cart", SectionName = "orders" };

    private static JsonObject PolicyJson(JsonArray? ancestors = null) => new()
    {
        ["apiVersion"] = WeftPolicyApi.ApiVersion,
        ["kind"] = AuthorizationPolicy.KindName,
        ["metadata"] = new JsonObject { ["name"] = "cart-allow-client", ["namespace"] = "shop", ["generation"] = 1 },
        ["status"] = ancestors is null ? null : new JsonObject { ["ancestors"] = ancestors },
    };

    [Fact]
    public void Status_has_one_ancestor_per_target_with_the_target_ref_as_written_plus_namespace_and_metav1_conditions()
    {
        var desired = new AuthorizationPolicyStatus("shop", "cart-allow-client", 1,
            [Target(PodTarget, "True", AuthorizationConditions.Accepted), Target(RouteTarget, "False", AuthorizationConditions.TargetNotFound)]);

        var status = AuthorizationStatusJson.StatusFor(PolicyJson(), desired, "weft.dev/mesh", Now)!;

        var ancestors = (status["ancestors"] as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(2, ancestors.Count);
        Assert.Equal("""{"group":"","kind":"Pod","namespace":"shop","selector":{"matchLabels":{"app":"cart"}}}""", ancestors[0]["ancestorRef"]!.ToJsonString());
        Assert.Equal("""{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"shop","name":"cart","sectionName":"orders"}""", ancestors[1]["ancestorRef"]!.ToJsonString());
        Assert.All(ancestors, a => Assert.Equal("weft.dev/mesh", a["controllerName"]!.GetValue<string>()));
        var notFound = (ancestors[1]["conditions"] as JsonArray)![0]!.AsObject();
        Assert.Equal(
            """{"type":"Accepted","status":"False","observedGeneration":1,"lastTransitionTime":"2026-12-02T10:00:00Z","reason":"TargetNotFound","message":"TargetNotFound message"}""",
            notFound.ToJsonString());
        Assert.Equal(["Accepted", "ResolvedRefs"], (ancestors[0]["conditions"] as JsonArray)!.Select(c => c!["type"]!.GetValue<string>()));
    }

    [Fact]
    public void Other_controllers_entries_stay_in_place_and_an_unchanged_condition_keeps_its_transition_time()
    {
        var first = AuthorizationStatusJson.StatusFor(PolicyJson(), new AuthorizationPolicyStatus("shop", "cart-allow-client", 1,
            [Target(PodTarget, "True", AuthorizationConditions.Accepted)]), "weft.dev/mesh", Now)!;
        var other = new JsonObject { ["ancestorRef"] = new JsonObject { ["group"] = "", ["kind"] = "Pod", ["namespace"] = "shop" }, ["controllerName"] = "example.com/other", ["conditions"] = new JsonArray() };
        var ancestors = new JsonArray(other, first["ancestors"]![0]!.DeepClone());

        // An hour later the Pod target is still Accepted, and a route target is added and not found.
        var later = AuthorizationStatusJson.StatusFor(PolicyJson(ancestors), new AuthorizationPolicyStatus("shop", "cart-allow-client", 2,
            [Target(PodTarget, "True", AuthorizationConditions.Accepted, 2), Target(RouteTarget, "False", AuthorizationConditions.TargetNotFound, 2)]),
            "weft.dev/mesh", Now.AddHours(1))!;

        var entries = (later["ancestors"] as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(["example.com/other", "weft.dev/mesh", "weft.dev/mesh"], entries.Select(e => e["controllerName"]!.GetValue<string>()));
        Assert.True(JsonNode.DeepEquals(other, entries[0]));
        var pod = (entries[1]["conditions"] as JsonArray)![0]!;
        Assert.Equal(("2026-12-02T10:00:00Z", 2L), (pod["lastTransitionTime"]!.GetValue<string>(), pod["observedGeneration"]!.GetValue<long>()));
        Assert.Equal("2026-12-02T11:00:00Z", (entries[2]["conditions"] as JsonArray)![0]!["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public void A_target_no_longer_in_the_policy_loses_its_entry_and_nothing_is_written_when_nothing_of_weft_s_is_there_or_wanted()
    {
        var both = AuthorizationStatusJson.StatusFor(PolicyJson(), new AuthorizationPolicyStatus("shop", "cart-allow-client", 1,
            [Target(PodTarget, "True", AuthorizationConditions.Accepted), Target(RouteTarget, "True", AuthorizationConditions.Accepted)]), "weft.dev/mesh", Now)!;

        var one = AuthorizationStatusJson.StatusFor(PolicyJson((JsonArray)both["ancestors"]!.DeepClone()), new AuthorizationPolicyStatus("shop", "cart-allow-client", 2,
            [Target(RouteTarget, "True", AuthorizationConditions.Accepted, 2)]), "weft.dev/mesh", Now)!;
        Assert.Equal(["HTTPRoute"], (one["ancestors"] as JsonArray)!.Select(a => a!["ancestorRef"]!["kind"]!.GetValue<string>()));

        var none = AuthorizationStatusJson.StatusFor(PolicyJson((JsonArray)one["ancestors"]!.DeepClone()), null, "weft.dev/mesh", Now)!;
        Assert.Empty((JsonArray)none["ancestors"]!);

        var others = new JsonArray(new JsonObject { ["ancestorRef"] = new JsonObject { ["kind"] = "Pod" }, ["controllerName"] = "example.com/other" });
        Assert.Null(AuthorizationStatusJson.StatusFor(PolicyJson(others), null, "weft.dev/mesh", Now));
    }
}
