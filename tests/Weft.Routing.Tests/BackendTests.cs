using Weft.Api.Model;
using Weft.Routing.Filters;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec F: backendRefs.</summary>
public class BackendTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    [Fact]
    public void F1_backend_port_is_the_Service_port_resolved_to_endpoints_through_targetPort()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));
        var b = model.Policy("echo").Rules[0].Backends.Single();
        Assert.Null(b.Invalid);
        Assert.Equal(("echo-v1", 80, "http"), (b.Name, b.Port, b.AppProtocol));
        var ep = Assert.Single(b.Endpoints);
        Assert.Equal(("10.0.0.1", 8080), (ep.Address, ep.Port));
        Assert.Equal("spiffe://cluster.local/ns/gateway-conformance-mesh/sa/default", ep.Identity);
    }

    [Fact]
    public void F1_endpoints_skip_unready_ones_count_unset_ready_as_ready_and_resolve_named_targetPorts()
    {
        var snapshot = new MeshSnapshot
        {
            Services = [Svc("shop", "cart", "10.96.5.5", Port(80, "web", targetName: "http-web"))],
            EndpointSlices =
            [
                Slice("shop", "cart", [new EndpointPort { Name = "other", Port = 1 }],
                    Ep("10.1.0.1", "cart-1"), Ep("10.1.0.2", "cart-2", ready: null), Ep("10.1.0.3", "cart-3", ready: false)),
            ],
            Pods =
            [
                Pod("shop", "cart-1", "10.1.0.1", "cart", new ContainerPort { Name = "http-web", Port = 9000 }),
                Pod("shop", "cart-2", "10.1.0.2", "cart", new ContainerPort { Name = "http-web", Port = 9000 }),
            ],
        };
        var model = MeshModel.Build(snapshot, trustDomain: "example.org");
        var eps = model.Policy("cart.shop", 80).DefaultBackend!.Endpoints;
        Assert.Equal(["10.1.0.1:9000", "10.1.0.2:9000"], eps.Select(e => $"{e.Address}:{e.Port}"));
        Assert.Equal("spiffe://example.org/ns/shop/sa/cart", eps[0].Identity);
        Assert.Equal("shop/cart-1", eps[0].Pod);
    }

    [Fact]
    public void F2_weight_zero_gets_no_traffic_but_an_unresolved_ref_is_still_reported()
    {
        // MeshGRPCRouteWeight: echo-v3 does not exist and has weight 0.
        var model = Model(Grpc(Mesh, "w", Parent("echo", port: 7070),
            GrpcRule([], Backend("echo-v1", 7070, 70), Backend("echo-v2", 7070, 30), Backend("echo-v3", 7070, 0))));
        var backends = model.Policy("echo", 7070).Rules.Single().Backends;
        Assert.Equal(["echo-v1", "echo-v2"], backends.Select(b => b.Name));
        Assert.Equal(0, WeightedPicker.Pick(backends, 0.0));
        Assert.Equal(0, WeightedPicker.Pick(backends, 0.6999));
        Assert.Equal(1, WeightedPicker.Pick(backends, 0.7));
        Assert.Equal(1, WeightedPicker.Pick(backends, 0.99999));
        var c = model.StatusOf("w").Cond("ResolvedRefs");
        Assert.Equal(("False", "BackendNotFound"), (c.Status, c.Reason));
        Assert.Equal("True", model.StatusOf("w").Cond("Accepted").Status);
    }

    [Fact]
    public void F2_WeightedPicker_gives_each_backend_weight_over_sum_and_minus_one_when_all_weights_are_zero()
    {
        BackendPolicy B(int w, string? invalid = null) => new() { Namespace = "n", Name = "b", Port = 80, Weight = w, Invalid = invalid };
        var counts = new int[3];
        for (var i = 0; i < 1000; i++)
        {
            counts[WeightedPicker.Pick([B(1), B(0), B(3, "BackendNotFound")], i / 1000.0)]++;
        }

        Assert.Equal([250, 0, 750], counts);
        Assert.Equal(-1, WeightedPicker.Pick([B(0), B(0)], 0.5));
        Assert.Equal(-1, WeightedPicker.Pick([], 0.5));
    }

    [Fact]
    public void F3_a_rule_without_backendRefs_or_redirect_has_no_backends_so_the_proxy_answers_500()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"))));
        var rule = model.Policy("echo").Rules.Single();
        Assert.Empty(rule.Backends);
        Assert.DoesNotContain(rule.Filters, f => f.Redirect is not null);
        Assert.StartsWith("500", model.Explain(Mesh, new("echo", 80, "GET", "/", [])).Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void F4_invalid_backends_stay_in_the_policy_with_their_reason()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"),
            Backend("echo-v1", 80),
            Backend("missing", 80),
            Backend("echo-v2", 1234),
            new BackendRef { Name = "bucket", Kind = "S3Bucket", Group = "storage.example.com", Port = 80 })));
        var backends = model.Policy("echo").Rules.Single().Backends;
        Assert.Equal([null, "BackendNotFound", "BackendNotFound", "InvalidKind"], backends.Select(b => b.Invalid));
        var c = model.StatusOf("r").Cond("ResolvedRefs");
        Assert.Equal(("False", "BackendNotFound"), (c.Status, c.Reason));
        Assert.Contains("Service gateway-conformance-mesh/missing not found", c.Message, StringComparison.Ordinal);
        Assert.Contains("port 1234 matches no port of Service gateway-conformance-mesh/echo-v2 (80 \"http\"", c.Message, StringComparison.Ordinal);
        Assert.Contains("S3Bucket", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void F1_a_backendRef_in_the_core_alias_group_is_a_Service_and_needs_its_port()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"),
            new BackendRef { Group = "core", Name = "echo-v1", Port = 80 },
            new BackendRef { Group = "core", Name = "echo-v2" })));
        var backends = model.Policy("echo").Rules.Single().Backends;
        Assert.Equal([null, "BackendNotFound"], backends.Select(b => b.Invalid));
        Assert.Contains("has no port", model.StatusOf("r").Cond("ResolvedRefs").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void F4_a_backend_without_ready_endpoints_is_valid_with_no_endpoints()
    {
        var snapshot = Base(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("idle", 80))));
        snapshot = snapshot with { Services = [.. snapshot.Services, Svc(Mesh, "idle", "10.96.0.99", Port(80, "http"))] };
        var b = MeshModel.Build(snapshot).Policy("echo").Rules.Single().Backends.Single();
        Assert.Null(b.Invalid);
        Assert.Empty(b.Endpoints);
    }

    [Fact]
    public void F4_ExternalName_backends_are_InvalidKind_and_headless_backends_are_fine()
    {
        var snapshot = Base(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("ext", 80), Backend("db", 80))));
        snapshot = snapshot with
        {
            Services = [.. snapshot.Services, ExternalName(Mesh, "ext"), Svc(Mesh, "db", "None", Port(80, "http"))],
            EndpointSlices = [.. snapshot.EndpointSlices, Slice(Mesh, "db", [new EndpointPort { Name = "http", Port = 8080 }], Ep("10.0.0.9"))],
        };
        var backends = MeshModel.Build(snapshot).Policy("echo").Rules.Single().Backends;
        Assert.Equal("InvalidKind", backends[0].Invalid);
        Assert.Null(backends[1].Invalid);
        Assert.Single(backends[1].Endpoints);
    }

    [Fact]
    public void F5_appProtocol_decides_how_to_talk_to_the_backend()
    {
        var snapshot = Base(
            Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070), Backend("plain", 80), Backend("h1", 80))),
            Http(Mesh, "h", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80), Backend("echo-v1", 7070), Backend("tls", 443))));
        snapshot = snapshot with
        {
            Services =
            [
                .. snapshot.Services,
                Svc(Mesh, "plain", "10.96.0.20", Port(80, "p")),
                Svc(Mesh, "h1", "10.96.0.21", Port(80, "p", app: "http")),
                Svc(Mesh, "tls", "10.96.0.22", Port(443, "https", app: "https")),
            ],
        };
        var model = MeshModel.Build(snapshot);
        var grpc = model.Policy("echo", 7070).Rules.Single().Backends;
        Assert.Equal(("http2", "http2", "UnsupportedProtocol"), (grpc[0].AppProtocol, grpc[1].AppProtocol, grpc[2].Invalid));
        var http = model.Policy("echo").Rules.Single().Backends;
        Assert.Equal(("http", "http2", "UnsupportedProtocol"), (http[0].AppProtocol, http[1].AppProtocol, http[2].Invalid));
        Assert.Equal("UnsupportedProtocol", model.StatusOf("g").Cond("ResolvedRefs").Reason);
    }

    [Fact]
    public void F6_cross_namespace_backends_need_no_ReferenceGrant_for_Service_parents()
    {
        var model = Model(Http(K.Consumer, "c", Parent("echo-v1", ns: Mesh), Rule(Prefix("/"), Backend("echo-v1", 80, ns: Mesh))));
        Assert.Equal("True", model.StatusOf("c").Cond("ResolvedRefs").Status);
        Assert.Null(model.Policy("echo-v1.gateway-conformance-mesh", client: K.Consumer).Rules.Single().Backends.Single().Invalid);
    }
}
