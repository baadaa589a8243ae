using BenchmarkDotNet.Attributes;
using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Bench;

/// <summary>
/// One request end to end through <see cref="RequestPlanner.Plan"/> on a 100-rule table: match (a rule near the end of
/// the precedence order), its RequestHeaderModifier, and a 90/10 weighted pick over two backends with endpoints.
/// </summary>
[MemoryDiagnoser]
public class RequestPlannerBenchmarks
{
    private readonly ArrayHeaders _headers = new(
        ("Host", "api.shop"),
        ("User-Agent", "curl/8.5.0"),
        ("Accept", "application/json"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("x-request-id", "7f1c0a4e-3b1d-4c55-9a7e-0f5d2e6b9c11"),
        ("x-tenant", "tenant-98"),
        ("x-debug", "1"));

    private RouteTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        var endpoints = new List<EndpointPolicy>();
        for (var e = 0; e < 10; e++)
        {
            endpoints.Add(new EndpointPolicy { Address = $"10.1.0.{e + 1}", Port = 8080, Pod = $"shop/api-{e}", Identity = "spiffe://cluster.local/ns/shop/sa/api" });
        }

        var modifier = new FilterPolicy
        {
            Kind = FilterKind.RequestHeaderModifier,
            Headers = new HeaderModifierPolicy
            {
                Set = [new HeaderValuePolicy { Name = "x-route", Value = "canary" }],
                Remove = ["x-debug"],
            },
        };
        var rules = new List<RulePolicy>();
        for (var i = 0; i < 100; i++)
        {
            var headers = i % 2 == 0
                ? new[] { new ValueMatchPolicy { Type = HeaderMatchType.Exact, Name = "x-tenant", Value = $"tenant-{i}" } }
                : [];
            rules.Add(new RulePolicy
            {
                Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "shop", RouteName = $"r{i}", RuleIndex = 0, MatchIndex = 0 },
                Match = new MatchPolicy { PathType = PathMatchType.PathPrefix, PathValue = $"/api/v1/service{i / 2}", Headers = headers },
                Filters = [modifier],
                Backends =
                [
                    new BackendPolicy { Namespace = "shop", Name = $"svc{i}", Port = 80, Weight = 90, Endpoints = endpoints },
                    new BackendPolicy { Namespace = "shop", Name = $"svc{i}-canary", Port = 80, Weight = 10, Endpoints = endpoints },
                ],
            });
        }

        _table = RouteTable.Build(new DestinationPolicy
        {
            ClientNamespace = "shop",
            ServiceNamespace = "shop",
            ServiceName = "api",
            Port = 80,
            Protocol = PolicyProtocol.Http,
            View = PolicyView.Producer,
            Rules = rules,
        });
        var plan = PlanOne();
        if (plan.RuleIndex != 98 || plan.Backend?.Name != "svc98" || _headers.Get("x-route") != "canary")
        {
            throw new InvalidOperationException("benchmark request does not plan as intended");
        }
    }

    [Benchmark]
    public RequestPlan PlanOne()
    {
        _headers.Reset();
        return RequestPlanner.Plan(_table, "GET", "/api/v1/service49/orders/17", "page=2", _headers, 80, 0.42);
    }
}
