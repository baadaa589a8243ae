using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec H (status) and K (GRPCRoute, TCPRoute, TLSRoute).</summary>
public class StatusAndL4Tests
{
    [Fact]
    public void H1_one_entry_per_Service_parentRef_with_controllerName_copied_parentRef_and_observedGeneration()
    {
        var parent = Parent("echo", port: 80);
        var route = Http(Mesh, "r", [parent, Parent("gw", kind: "Gateway", group: GatewayApi.Group), Parent("echo-v1")], Rule(Prefix("/"), Backend("echo-v1", 80)));
        route = route with { Metadata = route.Metadata with { Generation = 7 } };
        var status = MeshModel.Build(Base(route), "example.com/csharp-mesh").StatusOf("r");
        Assert.Equal(("HTTPRoute", 7L), (status.Kind, status.Generation));
        Assert.Equal(2, status.Parents.Count);
        Assert.Same(parent, status.Parents[0].ParentRef);
        Assert.All(status.Parents, p => Assert.Equal("example.com/csharp-mesh", p.ControllerName));
        Assert.All(status.Parents.SelectMany(p => p.Conditions), c => Assert.Equal(7, c.ObservedGeneration));
        Assert.Equal(["Accepted", "ResolvedRefs"], status.Parents[0].Conditions.Select(c => c.Type));
        Assert.Equal(("True", "Accepted"), (status.Cond("Accepted").Status, status.Cond("Accepted").Reason));
        Assert.Equal(("True", "ResolvedRefs"), (status.Cond("ResolvedRefs").Status, status.Cond("ResolvedRefs").Reason));
    }

    [Fact]
    public void H2_PartiallyInvalid_is_set_only_when_some_rules_are_dropped()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/good"), Backend("echo-v1", 80)),
            Rule(new HttpRouteMatch { Headers = [new HttpHeaderMatch { Name = "x", Value = "(", Type = HeaderMatchType.RegularExpression }] }, Backend("echo-v1", 80))));
        var status = model.StatusOf("r");
        Assert.Equal("True", status.Cond("Accepted").Status);
        var partial = status.Cond("PartiallyInvalid");
        Assert.Equal(("True", "UnsupportedValue"), (partial.Status, partial.Reason));
        Assert.StartsWith("Dropped Rule(s) rules[1]", partial.Message, StringComparison.Ordinal);
        Assert.Equal("/good", model.Policy("echo").Rules.Single().Match.PathValue);
        Assert.Null(Model(Http(Mesh, "ok", Parent("echo"), Rule(Prefix("/"), Backend("echo-v1", 80)))).StatusOf("ok").Cond("PartiallyInvalid"));
    }

    [Fact]
    public void H2_statuses_cover_every_route_kind()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v1", 9090)),
            Tls(Mesh, "s", Parent("echo", port: 443), ["echo.example.com"], Backend("echo-v1", 443)));
        Assert.Equal(["HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"], model.Statuses.Select(s => s.Kind));
        Assert.All(model.Statuses, s => Assert.Equal("True", s.Cond("Accepted").Status));
    }

    [Fact]
    public void K1_GRPCRoute_precedence_service_chars_then_method_chars_then_headers()
    {
        var model = Model(Grpc(Mesh, "g", Parent("echo", port: 7070),
            GrpcRule([GrpcMatch(null, null)], Backend("any", 7070)),
            GrpcRule([GrpcMatch(null, "Echo")], Backend("method", 7070)),
            GrpcRule([GrpcMatch("proto.EchoTestService", null)], Backend("service", 7070)),
            GrpcRule([GrpcMatch("proto.EchoTestService", "Echo")], Backend("both", 7070)),
            GrpcRule([GrpcMatch("proto.EchoTestService", "Echo", ("x-test-case", "set"))], Backend("both-header", 7070))));
        var table = RouteTable.Build(model.Policy("echo", 7070));
        string Hit(string svc, string method, params (string, string)[] h) => table.Policy.Rules[table.MatchGrpc(svc, method, new HeaderList(h.Select(x => KeyValuePair.Create(x.Item1, x.Item2))))].Backends.Single().Name;
        Assert.Equal("both-header", Hit("proto.EchoTestService", "Echo", ("X-Test-Case", "set")));
        Assert.Equal("both", Hit("proto.EchoTestService", "Echo"));
        Assert.Equal("service", Hit("proto.EchoTestService", "ForwardEcho"));
        Assert.Equal("method", Hit("other.Service", "Echo"));
        Assert.Equal("any", Hit("other.Service", "Other"));
        Assert.Equal(table.MatchGrpc("proto.EchoTestService", "Echo", new HeaderList()), table.Match("POST", "/proto.EchoTestService/Echo", null, new HeaderList()));
    }

    [Fact]
    public void K1_GRPCRoute_regex_method_match_and_header_filters()
    {
        var rule = new GrpcRouteRule
        {
            Matches = [new GrpcRouteMatch { Method = new GrpcMethodMatch { Type = HeaderMatchType.RegularExpression, Service = "proto\\..*", Method = "Ec.o" } }],
            Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = "x-header-set", Value = "set-overwrites-values" }] } }],
            BackendRefs = [Backend("echo-v1", 7070)],
        };
        var model = Model(Grpc(Mesh, "g", Parent("echo", port: 7070), rule));
        var table = RouteTable.Build(model.Policy("echo", 7070));
        Assert.Equal(0, table.MatchGrpc("proto.EchoTestService", "Echo", new HeaderList()));
        Assert.Equal(-1, table.MatchGrpc("other.EchoTestService", "Echo", new HeaderList()));
        Assert.Equal(FilterKind.RequestHeaderModifier, table.Policy.Rules[0].Filters.Single().Kind);
    }

    [Fact]
    public void K1_GRPCRoute_rejects_HTTP_only_filters_as_UnsupportedValue()
    {
        var rule = GrpcRule([], Backend("echo-v1", 7070)) with { Filters = [Redirect(new HttpRequestRedirectFilter { Hostname = "x" })] };
        Assert.Equal("UnsupportedValue", Model(Grpc(Mesh, "g", Parent("echo", port: 7070), rule)).StatusOf("g").Cond("Accepted").Reason);
    }

    [Fact]
    public void K2_TCPRoute_binds_to_a_Service_port_like_A4_into_L4Rules()
    {
        var model = Model(Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v1", 9090, 3), Backend("echo-v2", 9090, 1)));
        var policy = model.Policy("echo", 9090);
        Assert.Equal(PolicyProtocol.Tcp, policy.Protocol);
        Assert.Empty(policy.Rules);
        var rule = Assert.Single(policy.L4Rules);
        Assert.Equal(["echo-v1", "echo-v2"], rule.Backends.Select(b => b.Name));
        Assert.All(rule.Backends, b => Assert.Equal("tcp", b.AppProtocol));
        Assert.Equal(9090, rule.Backends[0].Endpoints.Single().Port);
        Assert.Equal(PolicyView.None, model.Policy("echo", 80).View);
    }

    [Fact]
    public void K3_TLSRoute_carries_its_SNI_hostnames()
    {
        var policy = Model(Tls(Mesh, "s", Parent("echo", port: 443), ["echo.example.com", "*.example.org"], Backend("echo-v1", 443))).Policy("echo", 443);
        Assert.Equal(PolicyProtocol.Tls, policy.Protocol);
        Assert.Equal(["echo.example.com", "*.example.org"], policy.L4Rules.Single().Hostnames);
    }
}
