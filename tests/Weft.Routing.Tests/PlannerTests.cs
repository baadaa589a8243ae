using Weft.Routing.Filters;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Routing.Tests;

/// <summary>The per-request data-plane rules (<see cref="RequestPlanner"/>), as the proxy applies them.</summary>
public sealed class PlannerTests
{
    private static HeaderList Headers(params (string Name, string Value)[] values) => new(values.Select(v => KeyValuePair.Create(v.Name, v.Value)));

    private static readonly EndpointPolicy Pod = new() { Address = "127.0.0.9", Port = 8080, Pod = "ns/echo-v1-abc" };

    private static BackendPolicy Backend(string name, int weight = 1, string? invalid = null, bool endpoints = true, params FilterPolicy[] filters) => new()
    {
        Namespace = "ns", Name = name, Port = 8080, Weight = weight, Invalid = invalid,
        Endpoints = endpoints ? [Pod] : [], Filters = filters,
    };

    private static RulePolicy Rule(string prefix, FilterPolicy[] filters, params BackendPolicy[] backends) => new()
    {
        Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "ns", RouteName = "r", RuleIndex = 0, MatchIndex = 0 },
        Match = new MatchPolicy { PathType = "PathPrefix", PathValue = prefix },
        Filters = filters,
        Backends = backends,
    };

    private static RouteTable Table(BackendPolicy? fallback, params RulePolicy[] rules) => RouteTable.Build(new DestinationPolicy
    {
        ClientNamespace = "ns", ServiceNamespace = "ns", ServiceName = "echo", Port = 80,
        Protocol = PolicyProtocol.Http, View = rules.Length == 0 ? PolicyView.None : PolicyView.Producer,
        Rules = rules, DefaultBackend = fallback,
    });

    private static RequestPlan Plan(RouteTable table, string path, HeaderList? headers = null, double random = 0.5) =>
        RequestPlanner.Plan(table, "GET", path, null, headers ?? Headers(("Host", "echo")), 80, random);

    [Fact]
    public void C1_no_route_forwards_to_the_default_backend()
    {
        var plan = Plan(Table(Backend("echo")), "/anything");
        Assert.False(plan.Respond);
        Assert.Equal("echo", plan.Backend!.Name);
    }

    [Fact]
    public void C2_attached_routes_answer_404_when_no_rule_matches()
    {
        var plan = Plan(Table(Backend("echo"), Rule("/v1", [], Backend("v1"))), "/v2");
        Assert.True(plan.Respond);
        Assert.Equal(404, plan.Status);
    }

    [Fact]
    public void F3_rule_without_backends_or_redirect_is_500()
    {
        var plan = Plan(Table(null, Rule("/", [])), "/");
        Assert.Equal(500, plan.Status);
    }

    [Fact]
    public void F4_share_of_an_invalid_backend_is_500_and_of_one_without_endpoints_503()
    {
        var table = Table(null, Rule("/", [], Backend("bad", invalid: "BackendNotFound"), Backend("empty", endpoints: false)));
        Assert.Equal(500, Plan(table, "/", random: 0.1).Status);
        Assert.Equal(503, Plan(table, "/", random: 0.9).Status);
    }

    [Fact]
    public void F2_weighted_pick_follows_the_random_draw()
    {
        var table = Table(null, Rule("/", [], Backend("v1", weight: 70), Backend("v2", weight: 30)));
        Assert.Equal("v1", Plan(table, "/", random: 0.69).Backend!.Name);
        Assert.Equal("v2", Plan(table, "/", random: 0.71).Backend!.Name);
    }

    [Fact]
    public void G6_redirect_answers_with_Location_built_from_the_Host_header_and_service_port()
    {
        var redirect = new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = new RedirectPolicy { Port = 8083 } };
        var plan = Plan(Table(null, Rule("/port", [redirect])), "/port");
        Assert.Equal(302, plan.Status);
        Assert.Equal("http://echo:8083/port", plan.Location);
    }

    [Fact]
    public void G3_filters_run_in_list_order_then_G5_backend_filters_for_the_picked_backend_only()
    {
        var ruleFilter = new FilterPolicy
        {
            Kind = FilterKind.RequestHeaderModifier,
            Headers = new HeaderModifierPolicy { Set = [new HeaderValuePolicy { Name = "X-Rule", Value = "1" }] },
        };
        var backendFilter = new FilterPolicy
        {
            Kind = FilterKind.RequestHeaderModifier,
            Headers = new HeaderModifierPolicy { Add = [new HeaderValuePolicy { Name = "X-Rule", Value = "2" }] },
        };
        var rewrite = new FilterPolicy
        {
            Kind = FilterKind.UrlRewrite,
            Rewrite = new RewritePolicy { Hostname = "elsewhere", Path = new PathModifierPolicy { Type = "ReplacePrefixMatch", Value = "/one", MatchedPrefix = "/prefix/one" } },
        };
        var headers = Headers(("Host", "echo"));
        var plan = Plan(Table(null, Rule("/prefix/one", [ruleFilter, rewrite], Backend("v1", filters: backendFilter))), "/prefix/one/two", headers);

        Assert.False(plan.Respond);
        Assert.Equal("1,2", headers.Get("X-Rule"));
        Assert.Equal("/one/two", plan.Path);
        Assert.True(plan.PathRewritten);
        Assert.Equal("elsewhere", plan.Host);
    }

    [Fact]
    public void Response_header_modifiers_are_carried_to_the_response()
    {
        var modifier = new HeaderModifierPolicy { Set = [new HeaderValuePolicy { Name = "X-Header-Set", Value = "set" }] };
        var plan = Plan(Table(null, Rule("/", [new FilterPolicy { Kind = FilterKind.ResponseHeaderModifier, Headers = modifier }], Backend("v2"))), "/");
        Assert.Same(modifier, Assert.Single(plan.ResponseModifiers));
    }

    [Fact]
    public void Every_plan_names_the_rule_that_decided_it()
    {
        var redirect = new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = new RedirectPolicy { Port = 8083 } };
        var routes = Table(null,
            Rule("/ok", [], Backend("v1")), Rule("/redirect", [redirect]), Rule("/none", []),
            Rule("/bad", [], Backend("bad", invalid: "BackendNotFound")), Rule("/idle", [], Backend("idle", endpoints: false)));
        Assert.Equal(PlanOutcome.ForwardToService, Plan(Table(Backend("echo")), "/").Outcome);
        Assert.Equal(PlanOutcome.NoService, Plan(Table(null), "/").Outcome);
        Assert.Equal(PlanOutcome.Forward, Plan(routes, "/ok").Outcome);
        Assert.Equal(PlanOutcome.Redirect, Plan(routes, "/redirect").Outcome);
        Assert.Equal(PlanOutcome.NoBackends, Plan(routes, "/none").Outcome);
        Assert.Equal(PlanOutcome.InvalidBackend, Plan(routes, "/bad").Outcome);
        Assert.Equal(PlanOutcome.NoReadyEndpoints, Plan(routes, "/idle").Outcome);
        Assert.Equal(PlanOutcome.NoRuleMatched, Plan(routes, "/elsewhere").Outcome);
        Assert.Equal((503, PlanOutcome.NoService), (Plan(Table(null), "/").Status, Plan(Table(null), "/").Outcome));
    }

    [Fact]
    public void A_traced_plan_lists_the_rules_that_lost_and_the_filters_in_the_order_they_ran()
    {
        var setRule = new FilterPolicy { Kind = FilterKind.RequestHeaderModifier, Headers = new HeaderModifierPolicy { Set = [new HeaderValuePolicy { Name = "X-A", Value = "1" }] } };
        var redirect = new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = new RedirectPolicy { Port = 8083 } };
        var backendSet = new FilterPolicy { Kind = FilterKind.RequestHeaderModifier, Headers = new HeaderModifierPolicy { Set = [new HeaderValuePolicy { Name = "X-B", Value = "2" }] } };
        var table = Table(null, Rule("/a/b", [setRule], Backend("v1", weight: 1), Backend("v2", weight: 1, filters: backendSet)), Rule("/a", [redirect]), Rule("/", []));

        var traced = RequestPlanner.Plan(table, "GET", "/a/b/c", null, Headers(("Host", "echo")), 80, 0.9, trace: true);
        Assert.Equal(0, traced.RuleIndex);
        Assert.Equal([1, 2], traced.AlsoMatched);
        Assert.Equal(1, traced.PickedIndex);
        Assert.Equal([setRule, backendSet], traced.Filters);
        Assert.False(traced.IsPlainForward);

        var untraced = Plan(table, "/a/b/c");
        Assert.Empty(untraced.AlsoMatched);

        var redirected = RequestPlanner.Plan(table, "GET", "/a/x", null, Headers(("Host", "echo")), 80, 0.5, trace: true);
        Assert.Equal([redirect], redirected.Filters);
        Assert.Null(redirected.Picked);
        Assert.Equal([2], redirected.AlsoMatched);
    }

    [Fact]
    public void A_plain_forward_has_no_filter_timeout_or_retry_on_its_rule_or_backend()
    {
        Assert.True(Plan(Table(Backend("echo")), "/").IsPlainForward);
        Assert.True(Plan(Table(null, Rule("/", [], Backend("v1"))), "/").IsPlainForward);
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = Backend("shadow") } };
        Assert.False(Plan(Table(null, Rule("/", [mirror], Backend("v1"))), "/").IsPlainForward);
        Assert.False(Plan(Table(null, Rule("/", [], Backend("v1", filters: mirror))), "/").IsPlainForward);
        Assert.False(Plan(Table(null, Rule("/", [], Backend("v1")) with { Timeouts = new TimeoutPolicy { Request = TimeSpan.FromSeconds(1) } }), "/").IsPlainForward);
        Assert.False(Plan(Table(null, Rule("/", [], Backend("idle", endpoints: false))), "/").IsPlainForward);
    }
}
