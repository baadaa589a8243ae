using BenchmarkDotNet.Attributes;
using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Bench;

/// <summary>One request against a 100-rule table: a hit near the end of the precedence order, and a miss (404).</summary>
[MemoryDiagnoser]
public class RouteTableBenchmarks
{
    private RouteTable _table = null!;
    private Headers _headers;

    [GlobalSetup]
    public void Setup()
    {
        // 100 rules over 50 path prefixes, half of them also matching a header; sorted like MeshModel sorts them
        // (longer prefixes and more headers first), so the request below hits one of the last rules.
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
                Backends = [new BackendPolicy { Namespace = "shop", Name = $"svc{i}", Port = 80 }],
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
        _headers = new Headers("x-tenant", "tenant-98");
        if (HitNearEnd() != 98 || Miss() != -1)
        {
            throw new InvalidOperationException("benchmark table does not match as intended");
        }
    }

    [Benchmark]
    public int HitNearEnd() => _table.Match("GET", "/api/v1/service49/orders/17", "page=2", _headers);

    [Benchmark]
    public int Miss() => _table.Match("GET", "/static/app.js", null, _headers);

    /// <summary>A one-header request, like a proxy's adapter over Kestrel's header dictionary.</summary>
    private readonly struct Headers(string name, string value) : IHeaderLookup
    {
        public bool TryGetValue(string n, out string? v)
        {
            v = string.Equals(n, name, StringComparison.OrdinalIgnoreCase) ? value : null;
            return v is not null;
        }
    }
}
