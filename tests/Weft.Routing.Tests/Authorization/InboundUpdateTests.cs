using Weft.Api.Model;
using Weft.Routing.Authorization;
using static Weft.Routing.Tests.Authorization.Authz;

namespace Weft.Routing.Tests.Authorization;

/// <summary>
/// MeshModel.Update and inbound policies: a pod's policy is kept (the same instance, so discovery neither serialises nor
/// sends it) only when nothing it is made of changed; otherwise it is what a full build gives.
/// </summary>
public class InboundUpdateTests
{
    private static HttpRoute EditedCartRoute() =>
        K.Http(Shop, "cart-route", K.Parent("cart", port: 80), K.Rule(K.Prefix("/orders/v2"), K.Backend("cart", 80)) with { Name = "orders" });

    private static MeshSnapshot WithEditedRoute(MeshSnapshot snapshot) =>
        snapshot with { Routes = [EditedCartRoute(), .. snapshot.Routes.Skip(1)] };

    /// <summary>A model of <paramref name="world"/> with every pod's inbound policy compiled (so that Update has them to carry over).</summary>
    private static MeshModel Compiled(MeshSnapshot world)
    {
        var model = MeshModel.Build(world);
        foreach (var pod in world.Pods)
        {
            model.CompileInbound(pod.Namespace, pod.Name);
        }

        return model;
    }

    /// <summary>Asserts that every pod's inbound policy on <paramref name="updated"/> is what a full build of <paramref name="after"/> gives.</summary>
    private static void AssertAsBuilt(MeshSnapshot after, MeshModel updated)
    {
        var built = MeshModel.Build(after);
        foreach (var pod in after.Pods)
        {
            Assert.Equal(built.CompileInbound(pod.Namespace, pod.Name).ToJson(), updated.CompileInbound(pod.Namespace, pod.Name).ToJson());
        }
    }

    [Fact]
    public void Without_AuthorizationPolicies_a_route_edit_keeps_every_pods_inbound_policy()
    {
        var world = World();
        var first = MeshModel.Build(world);
        var before = first.CompileInbound(Shop, "cart-1");

        var updated = first.Update(WithEditedRoute(world));

        Assert.Same(before, updated.CompileInbound(Shop, "cart-1"));
    }

    [Fact]
    public void With_an_AuthorizationPolicy_on_a_route_a_route_edit_compiles_the_inbound_policy_again()
    {
        var world = World(Allow("p", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule()));
        var first = MeshModel.Build(world);
        var before = first.CompileInbound(Shop, "cart-1");

        var edited = WithEditedRoute(world);
        var updated = first.Update(edited);

        Assert.NotSame(before, updated.CompileInbound(Shop, "cart-1"));
        Assert.Equal(MeshModel.Build(edited).CompileInbound(Shop, "cart-1").ToJson(), updated.CompileInbound(Shop, "cart-1").ToJson());
    }

    [Theory]
    [InlineData("route")]
    [InlineData("Service")]
    public void With_AuthorizationPolicies_a_change_of_what_their_targets_do_not_read_keeps_every_pods_inbound_policy(string change)
    {
        // A policy on Service cart and one on cart-route's rule "orders"; the change is to the db route, or to Service db.
        var world = World(
            Allow("on-service", ServiceTarget("cart"), Rule([Sa(Ops, "probe")])),
            Allow("on-route", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "web")])));
        var first = Compiled(world);
        var statuses = first.AuthorizationStatuses;
        var before = world.Pods.Select(p => first.CompileInbound(p.Namespace, p.Name)).ToList();

        var changed = change == "route"
            ? world with { Routes = [.. world.Routes.Select(r => r.Name == "db-route" ? K.Http(Shop, "db-route", K.Parent("db", port: 5432), K.Rule(K.Prefix("/v2"), K.Backend("db", 5432)) with { Name = "all" }) : r)] }
            : world with { Services = [.. world.Services.Select(s => s.Name == "db" ? s with { Spec = s.Spec with { Ports = [K.Port(5433, "pg", 5432)] } } : s)] };
        var updated = first.Update(changed);

        Assert.Equal(before, world.Pods.Select(p => updated.CompileInbound(p.Namespace, p.Name)), ReferenceEqualityComparer.Instance);
        Assert.Same(statuses, updated.AuthorizationStatuses);
        AssertAsBuilt(changed, updated);
    }

    [Fact]
    public void With_an_AuthorizationPolicy_on_a_Service_a_change_of_that_Service_resolves_the_targets_again()
    {
        var world = World(Allow("on-service", ServiceTarget("cart"), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);
        var statuses = first.AuthorizationStatuses;

        // Service cart's port 80 goes: the policy's scope on cart-1 loses that port.
        var changed = world with { Services = [.. world.Services.Select(s => s.Name == "cart" ? s with { Spec = s.Spec with { Ports = [K.Port(9090, "grpc", 9090, app: "grpc")] } } : s)] };
        var updated = first.Update(changed);

        Assert.NotSame(statuses, updated.AuthorizationStatuses);
        AssertAsBuilt(changed, updated);
        Assert.Equal([9090], updated.CompileInbound(Shop, "cart-1")!.Policies.Single().Scope!.Ports);
    }

    [Fact]
    public void With_an_AuthorizationPolicy_on_a_Service_without_a_selector_its_endpoints_moving_resolves_the_targets_again()
    {
        // Service ext has no selector: its EndpointSlice says its pods (cart-1, then web-1).
        EndpointPort[] ports = [new() { Name = "http", Port = 8080 }];
        var start = World(Allow("on-ext", ServiceTarget("ext"), Rule([Sa(Ops, "probe")])));
        var world = start with
        {
            Services = [.. start.Services, Svc(Shop, "ext", "10.96.0.9", [], K.Port(80, "http", 8080))],
            EndpointSlices = [K.Slice(Shop, "ext", ports, K.Ep("10.0.0.1", "cart-1"))],
        };
        var first = Compiled(world);
        Assert.NotEmpty(first.CompileInbound(Shop, "cart-1")!.Policies);

        var moved = world with { EndpointSlices = [K.Slice(Shop, "ext", ports, K.Ep("10.0.0.2", "web-1"))] };
        var updated = first.Update(moved);

        AssertAsBuilt(moved, updated);
        Assert.Empty(updated.CompileInbound(Shop, "cart-1")!.Policies);
        Assert.NotEmpty(updated.CompileInbound(Shop, "web-1")!.Policies);
    }

    [Fact]
    public void With_an_AuthorizationPolicy_on_a_route_a_change_of_its_backend_Service_resolves_the_targets_again()
    {
        var world = World(Allow("on-route", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "web")])));
        var first = Compiled(world);
        Assert.NotEmpty(first.CompileInbound(Shop, "cart-1")!.Policies);

        // The rule's backend is cart port 80, which Service cart no longer has: the route reaches no pod.
        var changed = world with { Services = [.. world.Services.Select(s => s.Name == "cart" ? s with { Spec = s.Spec with { Ports = [K.Port(9090, "grpc", 9090, app: "grpc")] } } : s)] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.Empty(updated.CompileInbound(Shop, "cart-1")!.Policies);
    }

    [Fact]
    public void With_an_AuthorizationPolicy_on_a_Service_not_found_the_Service_created_resolves_the_targets_again()
    {
        var world = World(Allow("on-later", ServiceTarget("later"), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);
        Assert.Empty(first.CompileInbound(Shop, "web-1")!.Policies);

        var created = world with { Services = [.. world.Services, Svc(Shop, "later", "10.96.0.8", [("app", "web")], K.Port(80, "http", 8080))] };
        var updated = first.Update(created);

        AssertAsBuilt(created, updated);
        Assert.NotEmpty(updated.CompileInbound(Shop, "web-1")!.Policies);
    }

    [Theory]
    [InlineData("pod created")]
    [InlineData("pod deleted")]
    [InlineData("pod relabelled")]
    [InlineData("policy edited")]
    public void With_AuthorizationPolicies_a_change_in_one_namespace_keeps_the_other_namespaces_inbound_policies_and_statuses(string change)
    {
        // A policy in shop on the web pods and one in ops on the probe pods; the change is in shop.
        var world = World(
            Allow("on-web", Pods(("app", "web")), Rule([Sa(Ops, "probe")])),
            PolicyOf(Ops, "on-probe", AuthorizationAction.Allow, [Pods(("app", "probe"))], Rule([Sa(Shop, "web")])));
        world = world with { Pods = [.. world.Pods, Pod(Ops, "probe-2", "10.0.1.2", "probe", [("app", "probe")])] };
        var first = Compiled(world);
        var opsStatus = first.AuthorizationStatuses[1];
        var opsPods = world.Pods.Where(p => p.Namespace == Ops).Select(p => first.CompileInbound(p.Namespace, p.Name)).ToList();

        var changed = change switch
        {
            "pod created" => world with { Pods = [.. world.Pods, Pod(Shop, "web-2", "10.0.0.4", "web", [("app", "web")])] },
            "pod deleted" => world with { Pods = [.. world.Pods.Where(p => p.Name != "web-1")] },
            "pod relabelled" => world with { Pods = [.. world.Pods.Select(p => p.Name == "cart-1" ? p with { Metadata = p.Metadata with { Labels = new Dictionary<string, string> { ["app"] = "web" } } } : p)] },
            _ => world with { AuthorizationPolicies = [Allow("on-web", Pods(("app", "web")), Rule([Sa(Ops, "other")])), world.AuthorizationPolicies[1]] },
        };
        var updated = first.Update(changed);

        Assert.Same(opsStatus, updated.AuthorizationStatuses[1]);
        Assert.Equal(opsPods, changed.Pods.Where(p => p.Namespace == Ops).Select(p => updated.CompileInbound(p.Namespace, p.Name)), ReferenceEqualityComparer.Instance);
        Assert.NotSame(first.AuthorizationStatuses[0], updated.AuthorizationStatuses[0]);
        AssertAsBuilt(changed, updated);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(MeshModel.Build(changed).AuthorizationStatuses),
            System.Text.Json.JsonSerializer.Serialize(updated.AuthorizationStatuses));
    }

    [Fact]
    public void With_AuthorizationPolicies_a_pod_created_in_a_namespace_without_one_keeps_its_neighbours_inbound_policies()
    {
        var world = World(Allow("on-web", Pods(("app", "web")), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);
        var before = first.CompileInbound(Ops, "probe-1");

        var changed = world with { Pods = [.. world.Pods, Pod(Ops, "probe-2", "10.0.1.2", "probe", [("app", "probe")])] };
        var updated = first.Update(changed);

        Assert.Same(before, updated.CompileInbound(Ops, "probe-1"));
        Assert.Same(first.AuthorizationStatuses, updated.AuthorizationStatuses);
        AssertAsBuilt(changed, updated);
    }

    [Fact]
    public void With_AuthorizationPolicies_a_policy_in_a_namespace_that_had_none_resolves_over_its_pods()
    {
        var world = World(Allow("on-web", Pods(("app", "web")), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);
        Assert.Empty(first.CompileInbound(Ops, "probe-1")!.Policies);

        var changed = world with { AuthorizationPolicies = [.. world.AuthorizationPolicies, PolicyOf(Ops, "on-probe", AuthorizationAction.Allow, [Pods(("app", "probe"))], Rule([Sa(Shop, "web")]))] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.NotEmpty(updated.CompileInbound(Ops, "probe-1")!.Policies);
        Assert.Same(first.AuthorizationStatuses[0], updated.AuthorizationStatuses[0]);
    }

    [Fact]
    public void A_pod_changed_compiles_its_inbound_policy_again()
    {
        var world = World();
        var first = MeshModel.Build(world);
        var before = first.CompileInbound(Shop, "web-1");

        var pods = world.Pods.Select(p => p.Name == "web-1" ? p with { Metadata = p.Metadata with { Annotations = new Dictionary<string, string> { [DefaultInboundPolicies.Key] = DefaultInboundPolicies.Deny } } } : p).ToArray();
        var changed = world with { Pods = pods };
        var updated = first.Update(changed);

        Assert.NotSame(before, updated.CompileInbound(Shop, "web-1"));
        Assert.Equal(DefaultInboundPolicies.Deny, updated.CompileInbound(Shop, "web-1")!.DefaultPolicy);
        Assert.Equal(MeshModel.Build(changed).CompileInbound(Shop, "web-1").ToJson(), updated.CompileInbound(Shop, "web-1").ToJson());
    }

    [Fact]
    public void A_Service_selector_change_is_seen_as_a_full_build_would_see_it()
    {
        var world = World(Allow("p", ServiceTarget("cart"), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);

        // Service cart now selects the web pods: the policy leaves cart-1 and reaches web-1.
        var changed = world with { Services = [.. world.Services.Select(s => s.Name == "cart" ? s with { Spec = s.Spec with { Selector = new Dictionary<string, string> { ["app"] = "web" } } } : s)] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.NotEmpty(updated.CompileInbound(Shop, "web-1")!.Policies);
    }

    [Fact]
    public void A_pod_label_change_is_seen_as_a_full_build_would_see_it()
    {
        var world = World(Allow("p", Pods(("app", "web")), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);

        // cart-1 is relabelled app=web (the policy now selects it) and labelled deny by default.
        var labels = new Dictionary<string, string> { ["app"] = "web", [DefaultInboundPolicies.Key] = DefaultInboundPolicies.Deny };
        var changed = world with { Pods = [.. world.Pods.Select(p => p.Name == "cart-1" ? p with { Metadata = p.Metadata with { Labels = labels } } : p)] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.Equal(DefaultInboundPolicies.Deny, updated.CompileInbound(Shop, "cart-1")!.DefaultPolicy);
    }

    [Fact]
    public void A_namespace_annotation_change_reaches_the_inbound_policy()
    {
        var world = World();
        var first = Compiled(world);

        var annotations = new Dictionary<string, string> { [DefaultInboundPolicies.Key] = DefaultInboundPolicies.Deny };
        var changed = world with { Namespaces = [.. world.Namespaces.Select(n => n.Name == Shop ? n with { Metadata = n.Metadata with { Annotations = annotations } } : n)] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.Equal(DefaultInboundPolicies.Deny, updated.CompileInbound(Shop, "cart-1")!.DefaultPolicy);
    }

    [Fact]
    public void An_AuthorizationPolicy_change_reaches_the_inbound_policy()
    {
        var world = World(Allow("p", Pods(("app", "cart")), Rule([Sa(Ops, "probe")])));
        var first = Compiled(world);

        var changed = world with { AuthorizationPolicies = [Allow("p", Pods(("app", "cart")), Rule([Sa(Shop, "web")]))] };
        var updated = first.Update(changed);

        AssertAsBuilt(changed, updated);
        Assert.Equal(AuthorizationVerdict.AllowedByPolicy, updated.Decide("shop/cart-1", Tcp(Id(Shop, "web"))).Verdict);
    }
}
