using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec B (producer and consumer routes) and C (defaults).</summary>
public class ViewTests
{
    private static HttpRoute Consumer(string name, ParentReference parent, string header = "consumer") =>
        Http(K.Consumer, name, parent, Rule(Prefix("/"), Backend("echo-v1", 80, ns: Mesh)).With(SetResponseHeader("X-Header-Set", header)));

    private static HttpRoute Producer(string name, ParentReference parent) =>
        Http(Mesh, name, parent, Rule(Prefix("/"), Backend("echo-v2", 80)));

    [Fact]
    public void B1_producer_route_applies_to_clients_in_every_namespace()
    {
        var model = Model(Producer("p", Parent("echo-v1")));
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v1", client: Mesh).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v1.gateway-conformance-mesh", client: "elsewhere").View);
    }

    [Fact]
    public void B2_consumer_route_applies_only_to_clients_in_its_namespace()
    {
        // MeshConsumerRoute.
        var model = Model(Consumer("c", Parent("echo-v1", ns: Mesh)));
        var consumer = model.Policy("echo-v1.gateway-conformance-mesh", client: K.Consumer);
        Assert.Equal(PolicyView.Consumer, consumer.View);
        Assert.Equal(FilterKind.ResponseHeaderModifier, consumer.Rules.Single().Filters.Single().Kind);
        Assert.Equal(PolicyView.None, model.Policy("echo-v1.gateway-conformance-mesh", client: Mesh).View);
        Assert.Contains("consumer route", model.StatusOf("c").Cond("Accepted").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void B3_consumer_routes_replace_producer_routes_for_that_namespace()
    {
        var model = Model(Producer("p", Parent("echo-v1")), Consumer("c", Parent("echo-v1", ns: Mesh)));
        var consumer = model.Policy("echo-v1.gateway-conformance-mesh", client: K.Consumer);
        Assert.Equal(PolicyView.Consumer, consumer.View);
        Assert.All(consumer.Rules, r => Assert.Equal("c", r.Origin.RouteName));
        var producer = model.Policy("echo-v1.gateway-conformance-mesh", client: "third");
        Assert.All(producer.Rules, r => Assert.Equal("p", r.Origin.RouteName));
    }

    [Fact]
    public void B3_consumer_precedence_is_decided_per_port()
    {
        var model = Model(Producer("p", Parent("echo-v1")), Consumer("c", Parent("echo-v1", ns: Mesh, port: 80)));
        Assert.Equal(PolicyView.Consumer, model.Policy("echo-v1.gateway-conformance-mesh", 80, K.Consumer).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v1.gateway-conformance-mesh", 8080, K.Consumer).View);
    }

    [Fact]
    public void B4_every_client_of_a_namespace_gets_the_same_consumer_policy()
    {
        var model = Model(Consumer("c", Parent("echo-v1", ns: Mesh)));
        var a = PolicyJson.Serialize(model.Policy("echo-v1.gateway-conformance-mesh", client: K.Consumer));
        var b = PolicyJson.Serialize(model.Policy("10.96.0.11", client: K.Consumer));
        Assert.Equal(a, b);
    }

    [Fact]
    public void C1_no_route_forwards_to_the_Service_endpoints_with_the_protocol_from_appProtocol()
    {
        var model = Model();
        var http = model.Policy("echo");
        Assert.Equal((PolicyProtocol.Http, PolicyView.None), (http.Protocol, http.View));
        Assert.Empty(http.Rules);
        Assert.Equal("echo", http.DefaultBackend!.Name);
        Assert.Equal(["10.0.0.1:8080", "10.0.0.2:8080"], http.DefaultBackend.Endpoints.Select(e => $"{e.Address}:{e.Port}"));
        Assert.Equal(PolicyProtocol.Grpc, model.Policy("echo", 7070).Protocol);
        Assert.Equal("http2", model.Policy("echo", 7070).DefaultBackend!.AppProtocol);
        Assert.Equal((PolicyProtocol.Opaque, "tcp"), (model.Policy("echo", 9090).Protocol, model.Policy("echo", 9090).DefaultBackend!.AppProtocol));
    }

    [Fact]
    public void C2_attached_routes_replace_the_default_and_unmatched_requests_get_404()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Exact("/v1"), Backend("echo-v1", 80))));
        var policy = model.Policy("echo");
        Assert.Null(policy.DefaultBackend);
        Assert.NotEmpty(policy.Rules);
        Assert.Null(model.Route("/v2"));
    }

    [Fact]
    public void C3_route_scope_is_per_port()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Exact("/v1"), Backend("echo-v1", 80))));
        Assert.Equal(PolicyView.None, model.Policy("echo", 8080).View);
        Assert.NotNull(model.Policy("echo", 8080).DefaultBackend);
    }

    [Fact]
    public void C4_a_rule_without_matches_matches_everything()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), new HttpRouteRule { Matches = [], BackendRefs = [Backend("echo-v1", 80)] }));
        Assert.Equal("echo-v1", model.BackendFor("/anything/at/all?x=1"));
        var none = Model(Http(Mesh, "r", Parent("echo", port: 80))); // no rules at all (E3 default rule)
        Assert.NotNull(none.Route("/x"));
    }
}
