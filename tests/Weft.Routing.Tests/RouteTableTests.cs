using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing.Tests;

/// <summary>The proxy-side matcher built from a policy alone.</summary>
public class RouteTableTests
{
    private static DestinationPolicy Policy(params MatchPolicy[] matches) => new()
    {
        ClientNamespace = "a",
        ServiceNamespace = "b",
        ServiceName = "c",
        Port = 80,
        Protocol = PolicyProtocol.Http,
        View = PolicyView.Producer,
        Rules = [.. matches.Select((m, i) => new RulePolicy
        {
            Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "b", RouteName = "r", RuleIndex = i, MatchIndex = 0 },
            Match = m,
        })],
    };

    [Fact]
    public void Match_returns_the_lowest_matching_index_even_for_a_policy_not_sorted_by_path_type()
    {
        var table = RouteTable.Build(Policy(
            new MatchPolicy { PathType = PathMatchType.PathPrefix, PathValue = "/" },
            new MatchPolicy { PathType = PathMatchType.Exact, PathValue = "/a" }));
        Assert.Equal(0, table.Match("GET", "/a", null, new HeaderList()));
    }

    [Fact]
    public void Build_throws_RouteTableException_on_a_policy_it_cannot_compile()
    {
        Assert.Throws<RouteTableException>(() => RouteTable.Build(Policy(new MatchPolicy { PathType = "Glob", PathValue = "/" })));
        Assert.Throws<RouteTableException>(() => RouteTable.Build(Policy(new MatchPolicy { PathType = PathMatchType.RegularExpression, PathValue = "(" })));
        Assert.Throws<RouteTableException>(() => RouteTable.Build(Policy(new MatchPolicy
        {
            Headers = [new ValueMatchPolicy { Type = "Prefix", Name = "x", Value = "y" }],
        })));
    }

    [Fact]
    public void Match_allocates_nothing()
    {
        var matches = Enumerable.Range(0, 100).Select(i => new MatchPolicy
        {
            PathType = i % 3 == 0 ? PathMatchType.Exact : PathMatchType.PathPrefix,
            PathValue = $"/api/v{i}/items",
            Headers = [new ValueMatchPolicy { Type = HeaderMatchType.Exact, Name = "x-tenant", Value = $"t{i}" }],
            QueryParams = [new ValueMatchPolicy { Type = HeaderMatchType.Exact, Name = "q", Value = "1" }],
        }).ToArray();
        var table = RouteTable.Build(Policy(matches));
        var headers = new HeaderList([KeyValuePair.Create("x-tenant", "t98")]);
        Assert.Equal(98, table.Match("GET", "/api/v98/items/7", "a=b&q=1", headers));
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            _ = table.Match("GET", "/api/v98/items/7", "a=b&q=1", headers);
            _ = table.Match("GET", "/nothing/here", null, headers);
        }));
    }
}
