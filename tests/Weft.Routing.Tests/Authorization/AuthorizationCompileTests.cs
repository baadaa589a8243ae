using System.Text;
using Weft.Api.Model;
using Weft.Routing.Authorization;
using static Weft.Routing.Tests.Authorization.Authz;

namespace Weft.Routing.Tests.Authorization;

/// <summary>Issue 14's compile side: which policies target a pod, with which scope, and the pod's default and level.</summary>
public class AuthorizationCompileTests
{
    private static readonly string[] ShopPods = ["cart-1", "db-1", "web-1"];

    private static InboundPolicy Compile(string pod, params AuthorizationPolicy[] policies) =>
        MeshModel.Build(World(policies)).CompileInbound(Shop, pod)!;

    [Fact]
    public void Unknown_pod_compiles_to_null()
    {
        var model = MeshModel.Build(World());
        Assert.Null(model.CompileInbound(Shop, "nope"));
        Assert.Null(model.ExplainAuthorization(Shop, "nope", Tcp(null), Headers()));
    }

    [Fact]
    public void A_pod_without_policies_gets_its_identity_level_trust_domain_and_the_mesh_default()
    {
        var p = MeshModel.Build(World(), trustDomain: "example.org", defaultInboundPolicy: DefaultInboundPolicies.AllAuthenticated).CompileInbound(Shop, "db-1")!;
        Assert.Equal((Shop, "db-1", "db", "example.org", MeshLevels.L4, DefaultInboundPolicies.AllAuthenticated), (p.Namespace, p.Pod, p.ServiceAccount, p.TrustDomain, p.Level, p.DefaultPolicy));
        Assert.Empty(p.Policies);
    }

    [Fact]
    public void Default_inbound_policy_comes_from_the_pod_then_its_namespace_then_the_mesh()
    {
        var world = World();
        var annotated = new Dictionary<string, string> { [DefaultInboundPolicies.Key] = DefaultInboundPolicies.SameNamespace };
        world = world with
        {
            Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? n with { Metadata = n.Metadata with { Annotations = annotated } } : n)],
            Pods = [.. world.Pods.Select(p => p.Name == "web-1" ? p with { Metadata = p.Metadata with { Annotations = new Dictionary<string, string> { [DefaultInboundPolicies.Key] = "deny" } } } : p)],
        };
        var model = MeshModel.Build(world, defaultInboundPolicy: DefaultInboundPolicies.AllAuthenticated);
        Assert.Equal(DefaultInboundPolicies.SameNamespace, model.CompileInbound(Shop, "cart-1")!.DefaultPolicy);
        Assert.Equal(DefaultInboundPolicies.Deny, model.CompileInbound(Shop, "web-1")!.DefaultPolicy);
        Assert.Equal(DefaultInboundPolicies.AllAuthenticated, model.CompileInbound(Ops, "probe-1")!.DefaultPolicy);
    }

    [Fact]
    public void Pod_target_with_matchLabels_applies_to_the_pods_it_selects_with_no_scope()
    {
        var policy = Allow("p", Pods(("app", "cart")), Rule([Sa(Shop, "client")], ports: [8080], methods: ["GET"]));
        var entry = Compile("cart-1", policy).Policies.Single();
        Assert.Equal(("p", AuthorizationAction.Allow, null), (entry.Name, entry.Action, entry.Scope));
        var rule = entry.Rules.Single();
        Assert.Equal((0, "client", 8080, "GET"), (rule.Index, rule.Sources!.Single().ServiceAccount, rule.Ports.Single(), rule.Methods.Single()));
        Assert.Empty(Compile("web-1", policy).Policies);
    }

    [Theory]
    [InlineData("In", "cart,web", "cart-1,web-1")]
    [InlineData("NotIn", "cart", "db-1,web-1")]
    [InlineData("Exists", "", "cart-1,db-1,web-1")]
    [InlineData("DoesNotExist", "", "")]
    public void Pod_target_with_matchExpressions(string op, string values, string expected)
    {
        var target = new AuthorizationTargetReference
        {
            Kind = "Pod",
            Selector = new LabelSelector { MatchExpressions = [new LabelSelectorRequirement { Key = "app", Operator = op, Values = values.Split(',', StringSplitOptions.RemoveEmptyEntries) }] },
        };
        var model = MeshModel.Build(World(Allow("p", target, Rule())));
        var targeted = ShopPods.Where(p => model.CompileInbound(Shop, p)!.Policies.Count > 0);
        Assert.Equal(expected, string.Join(",", targeted));
    }

    [Fact]
    public void Empty_Pod_selector_targets_every_pod_of_the_policy_s_namespace_only()
    {
        var model = MeshModel.Build(World(Allow("all", Pods(), Rule())));
        Assert.All(ShopPods, p => Assert.Single(model.CompileInbound(Shop, p)!.Policies));
        Assert.Empty(model.CompileInbound(Ops, "probe-1")!.Policies);
    }

    [Fact]
    public void Service_target_scope_is_the_Service_s_target_ports_on_its_pods()
    {
        var scope = Compile("cart-1", Allow("p", ServiceTarget("cart"), Rule())).Policies.Single().Scope!;
        Assert.Equal(("Service", "cart", null), (scope.TargetKind, scope.TargetName, scope.SectionName));
        Assert.Equal([8080, 9090], scope.Ports);
        Assert.Empty(scope.Matches);
        Assert.Empty(Compile("web-1", Allow("p", ServiceTarget("cart"), Rule())).Policies);
    }

    [Fact]
    public void Service_target_resolves_a_named_targetPort_on_each_pod()
    {
        var world = World(Allow("p", ServiceTarget("named"), Rule()));
        world = world with
        {
            Services = [.. world.Services, Svc(Shop, "named", "10.96.0.9", [("app", "web")], K.Port(80, "http", targetName: "web"))],
            Pods = [.. world.Pods.Select(p => p.Name == "web-1" ? p with { Spec = p.Spec with { Containers = [new Container { Name = "app", Ports = [new ContainerPort { Name = "web", Port = 3000 }] }] } } : p)],
        };
        Assert.Equal([3000], MeshModel.Build(world).CompileInbound(Shop, "web-1")!.Policies.Single().Scope!.Ports);
    }

    [Fact]
    public void HTTPRoute_target_with_sectionName_scopes_to_that_rule_s_matches_and_backend_target_ports()
    {
        var scope = Compile("cart-1", Allow("p", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule())).Policies.Single().Scope!;
        Assert.Equal(("HTTPRoute", "cart-route", "orders"), (scope.TargetKind, scope.TargetName, scope.SectionName));
        Assert.Equal([8080], scope.Ports);
        Assert.Equal(["/orders"], scope.Matches.Select(m => m.PathValue));
    }

    [Fact]
    public void HTTPRoute_target_without_sectionName_scopes_to_every_rule()
    {
        var scope = Compile("cart-1", Allow("p", RouteTarget("HTTPRoute", "cart-route"), Rule())).Policies.Single().Scope!;
        Assert.Null(scope.SectionName);
        Assert.Equal([8080], scope.Ports);
        Assert.Equal(["/orders", "/admin"], scope.Matches.Select(m => m.PathValue));
    }

    [Fact]
    public void GRPCRoute_target_scopes_to_the_rule_s_gRPC_matches()
    {
        var scope = Compile("cart-1", Allow("p", RouteTarget("GRPCRoute", "cart-grpc", "checkout"), Rule())).Policies.Single().Scope!;
        Assert.Equal("GRPCRoute", scope.TargetKind);
        Assert.Equal([9090], scope.Ports);
        var match = scope.Matches.Single();
        Assert.Equal(("shop.Cart", "Checkout"), (match.GrpcService, match.GrpcMethod));
    }

    [Fact]
    public void Route_target_ignores_backends_in_other_namespaces()
    {
        var world = World(Allow("p", RouteTarget("HTTPRoute", "cross"), Rule()));
        world = world with { Routes = [.. world.Routes, K.Http(Shop, "cross", K.Parent("cart", port: 80), K.Rule(K.Prefix("/"), K.Backend("probe", 80, ns: Ops)))] };
        var model = MeshModel.Build(world);
        Assert.Equal(AuthorizationConditions.NoMatchingWorkloads, model.AuthorizationStatuses.Single().Targets.Single().Conditions[0].Reason);
    }

    [Fact]
    public void DENY_entries_come_first_then_ALLOW_each_sorted_by_name()
    {
        var p = Compile("cart-1", Allow("b", Pods()), Deny("z", Pods()), Allow("a", Pods()), Deny("c", Pods()));
        Assert.Equal(["c", "z", "a", "b"], p.Policies.Select(e => e.Name));
    }

    [Fact]
    public void A_policy_covering_the_whole_pod_has_one_unscoped_entry_even_with_scoped_targets_too()
    {
        var policy = PolicyOf(Shop, "p", AuthorizationAction.Allow, [ServiceTarget("cart"), Pods(("app", "cart"))], Rule());
        var entry = Compile("cart-1", policy).Policies.Single();
        Assert.Null(entry.Scope);
    }

    [Fact]
    public void A_policy_with_several_scoped_targets_has_one_entry_per_scope()
    {
        var policy = PolicyOf(Shop, "p", AuthorizationAction.Allow, [RouteTarget("GRPCRoute", "cart-grpc"), ServiceTarget("cart")], Rule());
        Assert.Equal(["GRPCRoute", "Service"], Compile("cart-1", policy).Policies.Select(e => e.Scope!.TargetKind));
    }

    [Fact]
    public void Sources_omitted_and_empty_stay_distinct_in_the_compiled_rule()
    {
        var p = Compile("cart-1", Allow("p", Pods(), Rule(), Rule([])));
        Assert.Null(p.Policies[0].Rules[0].Sources);
        Assert.Empty(p.Policies[0].Rules[1].Sources!);
        var json = Encoding.UTF8.GetString(InboundPolicyJson.Serialize(p));
        Assert.Equal(p.Policies[0].Rules[1].Sources!.Count, InboundPolicyJson.Deserialize(Encoding.UTF8.GetBytes(json)).Policies[0].Rules[1].Sources!.Count);
        Assert.Null(InboundPolicyJson.Deserialize(Encoding.UTF8.GetBytes(json)).Policies[0].Rules[0].Sources);
    }

    [Fact]
    public void CompileInbound_returns_the_same_instance_on_one_model()
    {
        var model = MeshModel.Build(World(Allow("p", Pods())));
        Assert.Same(model.CompileInbound(Shop, "cart-1"), model.CompileInbound(Shop, "cart-1"));
    }

    [Fact]
    public void The_compiled_policy_builds_into_a_table()
    {
        var p = Compile("cart-1",
            Allow("p", RouteTarget("HTTPRoute", "cart-route"), Rule([Sa(Ops, "*"), Spiffe(Id(Ops, "x"))], paths: [Path(PathMatchType.RegularExpression, "/a.*")], headers: [Header("x", "y")])),
            Deny("d", RouteTarget("GRPCRoute", "cart-grpc"), Rule(grpcService: "shop.Cart")));
        Assert.Same(p, AuthorizationTable.Build(p).Policy);
    }

    [Fact]
    public void Build_rejects_what_it_cannot_compile()
    {
        var p = Compile("cart-1");
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with { DefaultPolicy = "maybe" }));
        AuthorizationPolicyEntry Entry(AuthorizationRulePolicy rule, string action = AuthorizationAction.Allow) => new() { Name = "x", Action = action, Rules = [rule] };
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with { Policies = [Entry(new() { Index = 0 }, "AUDIT")] }));
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with
        {
            Policies = [Entry(new() { Index = 0, Paths = [new() { Type = PathMatchType.RegularExpression, Name = "", Value = "(" }] })],
        }));
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with
        {
            Policies = [Entry(new() { Index = 0, Paths = [new() { Type = PathMatchType.Exact, Name = "", Value = "relative" }] })],
        }));
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with
        {
            Policies = [Entry(new() { Index = 0, Headers = [new() { Type = HeaderMatchType.RegularExpression, Name = "x", Value = "[" }] })],
        }));
        Assert.Throws<Matching.RouteTableException>(() => AuthorizationTable.Build(p with { Policies = [Entry(new() { Index = 0, Sources = [new()] })] }));
    }
}
