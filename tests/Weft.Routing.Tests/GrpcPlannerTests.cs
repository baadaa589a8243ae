using Weft.Routing.Filters;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>RequestPlanner.PlanGrpc: the GRPCRoute data-plane rules (gamma-spec K1, F4) with gRPC answers.</summary>
public sealed class GrpcPlannerTests
{
    private static readonly EndpointPolicy Pod = new() { Address = "127.0.0.9", Port = 7070, Pod = "ns/echo-v1-abc" };

    private static BackendPolicy Backend(string name, int weight = 1, string? invalid = null, bool endpoints = true) => new()
    {
        Namespace = "ns", Name = name, Port = 7070, Weight = weight, Invalid = invalid, AppProtocol = "http2", Endpoints = endpoints ? [Pod] : [],
    };

    private static RulePolicy Rule(string? service, string? method, FilterPolicy[] filters, params BackendPolicy[] backends) => new()
    {
        Origin = new RuleOrigin { RouteKind = "GRPCRoute", RouteNamespace = "ns", RouteName = "g", RuleIndex = 0, MatchIndex = 0 },
        Match = new MatchPolicy { GrpcType = "Exact", GrpcService = service, GrpcMethod = method },
        Filters = filters,
        Backends = backends,
    };

    private static RouteTable Table(params RulePolicy[] rules) => RouteTable.Build(new DestinationPolicy
    {
        ClientNamespace = "ns", ServiceNamespace = "ns", ServiceName = "echo", Port = 7070,
        Protocol = PolicyProtocol.Grpc, View = PolicyView.Producer, Rules = rules,
        DefaultBackend = Backend("echo"),
    });

    private static RequestPlan Plan(RouteTable table, HeaderList? md = null, double random = 0.5, string service = "proto.EchoTestService", string method = "Echo") =>
        RequestPlanner.PlanGrpc(table, service, method, md ?? new HeaderList(), 7070, random);

    [Fact]
    public void K1_a_matching_rule_forwards_to_its_backend()
    {
        var plan = Plan(Table(Rule("proto.EchoTestService", "Echo", [], Backend("echo-v1"))));
        Assert.False(plan.Respond);
        Assert.Null(plan.GrpcStatus);
        Assert.Equal("echo-v1", plan.Backend!.Name);
        Assert.Equal("/proto.EchoTestService/Echo", plan.Path);
    }

    [Fact]
    public void C2_no_matching_GRPCRoute_rule_is_UNIMPLEMENTED_trailers_only()
    {
        var plan = Plan(Table(Rule("other.Service", null, [], Backend("echo-v1"))));
        Assert.True(plan.Respond);
        Assert.Equal(200, plan.Status);
        Assert.Equal(GrpcStatusCodes.Unimplemented, plan.GrpcStatus);
    }

    [Fact]
    public void C1_a_table_without_rules_uses_the_default_backend()
    {
        var plan = Plan(Table());
        Assert.Equal("echo", plan.Backend!.Name);
    }

    [Fact]
    public void F4_the_share_of_an_invalid_backend_is_UNAVAILABLE()
    {
        var table = Table(Rule(null, null, [], Backend("good"), Backend("missing", invalid: "BackendNotFound")));
        Assert.Equal("good", Plan(table, random: 0.2).Backend!.Name);
        var bad = Plan(table, random: 0.8);
        Assert.Equal(GrpcStatusCodes.Unavailable, bad.GrpcStatus);
        Assert.Contains("BackendNotFound", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void F4_no_ready_endpoints_and_no_backends_are_UNAVAILABLE()
    {
        Assert.Equal(GrpcStatusCodes.Unavailable, Plan(Table(Rule(null, null, [], Backend("empty", endpoints: false)))).GrpcStatus);
        Assert.Equal(GrpcStatusCodes.Unavailable, Plan(Table(Rule(null, null, []))).GrpcStatus);
    }

    [Fact]
    public void K1_RequestHeaderModifier_edits_metadata_and_ResponseHeaderModifier_is_collected()
    {
        var set = new FilterPolicy { Kind = FilterKind.RequestHeaderModifier, Headers = new HeaderModifierPolicy { Set = [new() { Name = "x-header-set", Value = "set-overwrites-values" }], Remove = ["x-header-remove"] } };
        var response = new FilterPolicy { Kind = FilterKind.ResponseHeaderModifier, Headers = new HeaderModifierPolicy { Add = [new() { Name = "x-r", Value = "1" }] } };
        var md = new HeaderList();
        md.Set("x-header-set", "old");
        md.Set("x-header-remove", "gone");
        var plan = Plan(Table(Rule(null, null, [set, response], Backend("echo-v1"))), md);
        Assert.Equal("set-overwrites-values", md.Get("x-header-set"));
        Assert.Null(md.Get("x-header-remove"));
        Assert.Single(plan.ResponseModifiers);
    }

    [Fact]
    public void K1_header_matches_select_the_rule_as_in_MeshGRPCRouteRequestHeaderModifier()
    {
        var model = Model(Grpc(Mesh, "g", Parent("echo", port: 7070),
            GrpcRule([GrpcMatch(null, null, ("x-test-case", "set"))], K.Backend("echo-v1", 7070)),
            GrpcRule([GrpcMatch(null, null, ("x-test-case", "multi"))], K.Backend("echo-v2", 7070))));
        var table = RouteTable.Build(model.Policy("echo", 7070));
        var md = new HeaderList();
        md.Set("x-test-case", "multi");
        Assert.Equal("echo-v2", Plan(table, md).Backend!.Name);
        md.Set("x-test-case", "none");
        Assert.Equal(GrpcStatusCodes.Unimplemented, Plan(table, md).GrpcStatus);
    }

    [Fact]
    public void GrpcStatusCodes_names_are_canonical_and_parse_in_kebab_form()
    {
        Assert.Equal("UNAVAILABLE", GrpcStatusCodes.Name(14));
        Assert.Equal("DEADLINE_EXCEEDED", GrpcStatusCodes.Name(GrpcStatusCodes.DeadlineExceeded));
        Assert.True(GrpcStatusCodes.TryParse("deadline-exceeded", out var code));
        Assert.Equal(4, code);
        Assert.False(GrpcStatusCodes.TryParse("nope", out _));
    }
}
