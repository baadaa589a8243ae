using Weft.Api.Model;
using Weft.Routing.Authorization;
using static Weft.Routing.Tests.Authorization.Authz;

namespace Weft.Routing.Tests.Authorization;

/// <summary>Issue 14's status: per targetRef (GEP-713 ancestors style), Accepted and ResolvedRefs with a reason that says why.</summary>
public class AuthorizationStatusTests
{
    private static AuthorizationTargetStatus TargetStatus(AuthorizationTargetReference target, params AuthorizationRule[] rules) =>
        MeshModel.Build(World(Allow("p", target, rules))).AuthorizationStatuses.Single().Targets.Single();

    private static RouteCondition Cond(AuthorizationTargetStatus s, string type) => s.Conditions.Single(c => c.Type == type);

    private static void AssertRejected(AuthorizationTargetStatus s, string reason, bool resolved, string messagePart)
    {
        var accepted = Cond(s, AuthorizationConditions.Accepted);
        Assert.Equal((RouteConditions.False, reason), (accepted.Status, accepted.Reason));
        Assert.Contains(messagePart, accepted.Message, StringComparison.Ordinal);
        var refs = Cond(s, AuthorizationConditions.ResolvedRefs);
        Assert.Equal(resolved ? (RouteConditions.True, AuthorizationConditions.ResolvedRefs) : (RouteConditions.False, reason), (refs.Status, refs.Reason));
        if (reason == AuthorizationConditions.L7RuleOnL4Workload)
        {
            Assert.NotEmpty(s.Pods); // reported, and applied at L4 all the same: dropping it would switch off a DENY
        }
        else
        {
            Assert.Empty(s.Pods);
        }
    }

    [Fact]
    public void Accepted_target_lists_its_pods_with_controllerName_and_observedGeneration()
    {
        var policy = Allow("p", Pods(("app", "cart")), Rule([Sa(Shop, "client")]));
        policy = policy with { Metadata = policy.Metadata with { Generation = 3 } };
        var status = MeshModel.Build(World(policy), "example.com/mesh").AuthorizationStatuses.Single();
        Assert.Equal((Shop, "p", 3L), (status.Namespace, status.Name, status.Generation));
        var target = status.Targets.Single();
        Assert.Same(policy.Spec.TargetRefs[0], target.TargetRef);
        Assert.Equal("example.com/mesh", target.ControllerName);
        Assert.Equal(["shop/cart-1"], target.Pods);
        Assert.Equal([AuthorizationConditions.Accepted, AuthorizationConditions.ResolvedRefs], target.Conditions.Select(c => c.Type));
        Assert.All(target.Conditions, c => Assert.Equal((RouteConditions.True, 3L), (c.Status, c.ObservedGeneration)));
        Assert.Contains("shop/cart-1", Cond(target, AuthorizationConditions.Accepted).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepted_message_names_each_workload_once_and_not_the_pods_a_rollout_replaces()
    {
        // Deployment cart's pods (ReplicaSet cart-5d8f): the message names the Deployment, so that replacing its pods
        // writes no new status to the API server; the pods themselves are the target's Pods.
        static Pod Replica(string name, string ip, string hash) => Pod(Shop, name, ip, "cart", [("app", "cart"), (WorkloadName.TemplateHashLabel, hash)]) is var p
            ? p with { Metadata = p.Metadata with { OwnerReferences = [new OwnerReference("ReplicaSet", $"cart-{hash}", Controller: true)] } }
            : null!;
        var policy = Allow("p", Pods(("app", "cart")), Rule([Sa(Shop, "client")]));
        var world = World(policy);
        var others = world.Pods.Where(p => p.Name != "cart-1").ToList();
        var before = MeshModel.Build(world with { Pods = [.. others, Replica("cart-5d8f-aaaaa", "10.0.0.11", "5d8f"), Replica("cart-5d8f-bbbbb", "10.0.0.12", "5d8f")] });
        var after = MeshModel.Build(world with { Pods = [.. others, Replica("cart-5d8f-bbbbb", "10.0.0.12", "5d8f"), Replica("cart-7c9e-ccccc", "10.0.0.13", "7c9e")] });

        var message = Cond(before.AuthorizationStatuses.Single().Targets.Single(), AuthorizationConditions.Accepted).Message;
        Assert.EndsWith("applies to workload shop/cart.", message, StringComparison.Ordinal);
        Assert.Equal(message, Cond(after.AuthorizationStatuses.Single().Targets.Single(), AuthorizationConditions.Accepted).Message);
        Assert.Equal(["shop/cart-5d8f-bbbbb", "shop/cart-7c9e-ccccc"], after.AuthorizationStatuses.Single().Targets.Single().Pods.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void InvalidTarget_for_a_kind_other_than_Pod_Service_HTTPRoute_GRPCRoute() =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference { Group = "apps", Kind = "Deployment", Name = "cart" }), AuthorizationConditions.InvalidTarget, false, "\"Deployment\"");

    [Theory]
    [InlineData("Pod")]
    [InlineData("Service")]
    public void InvalidTarget_for_a_non_core_group_on_Pod_or_Service(string kind) =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference { Group = "apps", Kind = kind, Name = kind == "Service" ? "cart" : null }), AuthorizationConditions.InvalidTarget, false, "\"apps\"");

    [Fact]
    public void InvalidTarget_for_a_Pod_target_with_a_name() =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference { Kind = "Pod", Name = "cart-1" }), AuthorizationConditions.InvalidTarget, false, "takes no name");

    [Theory]
    [InlineData("Service", "")]
    [InlineData("HTTPRoute", GatewayApi.Group)]
    [InlineData("GRPCRoute", GatewayApi.Group)]
    public void InvalidTarget_for_a_Service_or_route_target_without_a_name(string kind, string group) =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference { Group = group, Kind = kind }), AuthorizationConditions.InvalidTarget, false, "needs a name");

    [Fact]
    public void InvalidTarget_for_a_selector_operator_Kubernetes_does_not_have() =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference
        {
            Kind = "Pod",
            Selector = new LabelSelector { MatchExpressions = [new LabelSelectorRequirement { Key = "app", Operator = "Like", Values = ["c"] }] },
        }), AuthorizationConditions.InvalidTarget, false, "\"Like\"");

    [Theory]
    [InlineData("Service", "missing", null, "Service shop/missing not found")]
    [InlineData("HTTPRoute", "missing", null, "HTTPRoute shop/missing not found")]
    [InlineData("HTTPRoute", "cart-route", "nope", "no rule named \"nope\"")]
    [InlineData("GRPCRoute", "cart-route", null, "GRPCRoute shop/cart-route not found")]
    public void TargetNotFound_for_a_missing_Service_route_or_rule(string kind, string name, string? section, string message) =>
        AssertRejected(TargetStatus(new AuthorizationTargetReference { Group = kind == "Service" ? "" : GatewayApi.Group, Kind = kind, Name = name, SectionName = section }),
            AuthorizationConditions.TargetNotFound, false, message);

    [Fact]
    public void NoMatchingWorkloads_for_a_Pod_selector_matching_nothing() =>
        AssertRejected(TargetStatus(Pods(("app", "nothing"))), AuthorizationConditions.NoMatchingWorkloads, true, "matches no pod in namespace shop");

    [Fact]
    public void NoMatchingWorkloads_for_a_Service_without_pods() =>
        AssertRejected(TargetStatus(ServiceTarget("nobody")), AuthorizationConditions.NoMatchingWorkloads, true, "Service shop/nobody selects no pod");

    [Fact]
    public void L7RuleOnL4Workload_names_the_l4_pod_and_still_applies_there()
    {
        var status = TargetStatus(Pods(("app", "db")), Rule([Sa(Shop, "client")], methods: ["GET"]));
        AssertRejected(status, AuthorizationConditions.L7RuleOnL4Workload, true, "l4 workload shop/db-1");
        Assert.Contains("rules[0]", Cond(status, AuthorizationConditions.Accepted).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void L7RuleOnL4Workload_also_for_a_gRPC_rule_through_a_Service() =>
        AssertRejected(TargetStatus(ServiceTarget("db"), Rule(grpcService: "x.Y")), AuthorizationConditions.L7RuleOnL4Workload, true, "shop/db-1");

    [Fact]
    public void An_L4_rule_on_an_l4_workload_is_accepted() =>
        Assert.Equal(RouteConditions.True, Cond(TargetStatus(Pods(("app", "db")), Rule([Sa(Shop, "client")], ports: [5432])), AuthorizationConditions.Accepted).Status);

    [Fact]
    public void A_target_not_found_applies_to_no_pod_while_an_L7_rule_on_an_l4_pod_still_applies_there()
    {
        var policy = PolicyOf(Shop, "p", AuthorizationAction.Allow, [Pods(("app", "db")), ServiceTarget("missing"), Pods(("app", "web"))], Rule(methods: ["GET"]));
        var model = MeshModel.Build(World(policy));
        var targets = model.AuthorizationStatuses.Single().Targets;
        Assert.Equal([AuthorizationConditions.L7RuleOnL4Workload, AuthorizationConditions.TargetNotFound, AuthorizationConditions.Accepted],
            targets.Select(t => Cond(t, AuthorizationConditions.Accepted).Reason));
        // The l4 pod keeps the policy (at L4, its HTTP rule never allows); the missing Service's target applies nowhere.
        Assert.Equal("p", model.CompileInbound(Shop, "db-1")!.Policies.Single().Name);
        Assert.Equal("p", model.CompileInbound(Shop, "web-1")!.Policies.Single().Name);
    }

    [Fact]
    public void Statuses_follow_snapshot_order()
    {
        var model = MeshModel.Build(World(Allow("z", Pods()), Allow("a", Pods())));
        Assert.Equal(["z", "a"], model.AuthorizationStatuses.Select(s => s.Name));
    }
}
