using System.Diagnostics;
using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// gamma-spec E3/E4 (RegularExpression is implementation-specific): Weft runs route regexes on .NET's linear-time
/// engine only, so no request can make a match cost more than time linear in its length (issue 15, finding 8).
/// </summary>
public class RouteRegexTests
{
    private const string Lookahead = "(?=(a+)+$)a*";

    [Fact]
    public void A_nested_quantifier_runs_in_linear_time_on_the_sidecars_matcher()
    {
        // (a+)+b: exponential on a backtracking engine (30 'a's take minutes), linear on the non-backtracking one.
        var table = RouteTable.Build(Policy(new MatchPolicy { PathType = PathMatchType.RegularExpression, PathValue = "/(a+)+b" }));
        var clock = Stopwatch.StartNew();

        var matched = table.Match("GET", "/" + new string('a', 5_000) + "!", null, new HeaderList());

        Assert.Equal(-1, matched);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(0, table.Match("GET", "/aaab", null, new HeaderList()));
    }

    [Fact]
    public void A_nested_quantifier_in_a_header_match_runs_in_linear_time()
    {
        var table = RouteTable.Build(Policy(new MatchPolicy
        {
            Headers = [new ValueMatchPolicy { Type = HeaderMatchType.RegularExpression, Name = "x", Value = "(a+)+b" }],
        }));
        var clock = Stopwatch.StartNew();

        Assert.Equal(-1, table.Match("GET", "/", null, new HeaderList([KeyValuePair.Create("x", new string('a', 5_000) + "!")])));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_lookaround_the_linear_engine_cannot_run_drops_its_rule_with_UnsupportedValue()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/good"), Backend("echo-v1", 80)),
            Rule(Regex(Lookahead), Backend("echo-v1", 80))));

        var partial = model.StatusOf("r").Cond("PartiallyInvalid");

        Assert.Equal(("True", "UnsupportedValue"), (partial.Status, partial.Reason));
        Assert.Contains("linear-time engine", partial.Message, StringComparison.Ordinal);
        Assert.Equal("/good", model.Policy("echo").Rules.Single().Match.PathValue);
    }

    [Theory]
    [InlineData("path", Lookahead)]
    [InlineData("path", "/(a)\\1")]
    [InlineData("path", "/(?>a+)b")]
    [InlineData("header", "(?<=a)b")]
    public void A_route_whose_only_rule_uses_a_backtracking_construct_is_not_Accepted(string where, string pattern)
    {
        var match = where == "path"
            ? Regex(pattern)
            : new HttpRouteMatch { Headers = [new HttpHeaderMatch { Name = "x", Value = pattern, Type = HeaderMatchType.RegularExpression }] };

        var accepted = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(match, Backend("echo-v1", 80)))).StatusOf("r").Cond("Accepted");

        Assert.Equal(("False", "UnsupportedValue"), (accepted.Status, accepted.Reason));
        Assert.Contains(pattern, accepted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sidecar_handed_a_lookaround_refuses_the_policy_instead_of_backtracking()
    {
        var policy = Policy(new MatchPolicy { PathType = PathMatchType.RegularExpression, PathValue = Lookahead });

        var e = Assert.Throws<RouteTableException>(() => RouteTable.Build(policy));

        Assert.Contains("linear-time engine", e.Message, StringComparison.Ordinal);
    }

    private static DestinationPolicy Policy(MatchPolicy match) => new()
    {
        ClientNamespace = "a",
        ServiceNamespace = "b",
        ServiceName = "c",
        Port = 80,
        Protocol = PolicyProtocol.Http,
        View = PolicyView.Producer,
        Rules = [new RulePolicy { Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "b", RouteName = "r", RuleIndex = 0, MatchIndex = 0 }, Match = match }],
    };
}
