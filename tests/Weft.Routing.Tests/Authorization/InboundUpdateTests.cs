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

    private static string Json(InboundPolicy? policy) => policy is null ? "" : System.Text.Encoding.UTF8.GetString(InboundPolicyJson.Serialize(policy));

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
        Assert.Equal(Json(MeshModel.Build(edited).CompileInbound(Shop, "cart-1")), Json(updated.CompileInbound(Shop, "cart-1")));
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
        Assert.Equal(Json(MeshModel.Build(changed).CompileInbound(Shop, "web-1")), Json(updated.CompileInbound(Shop, "web-1")));
    }
}
