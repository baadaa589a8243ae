using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

public class ExplainTests
{
    [Fact]
    public void Explain_names_the_view_the_winner_the_losers_and_the_deciding_step()
    {
        var model = Model(
            Http(Mesh, "producer", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Http(K.Consumer, "mesh-matching", Parent("echo", ns: Mesh, port: 80),
                Rule([Prefix("/"), new HttpRouteMatch().Headers(("version", "one"))], Backend("echo-v1", 8080, 70, Mesh), Backend("echo-v2", 8080, 30, Mesh)),
                Rule([Prefix("/v2"), new HttpRouteMatch().Headers(("version", "two"))], Backend("echo-v2", 8080, ns: Mesh))));

        var e = model.Explain(K.Consumer, new("echo.gateway-conformance-mesh", 80, "GET", "/v2/x", [new("version", "one")]));
        Assert.Equal("consumer", e.View);
        Assert.Contains("namespace gateway-conformance-mesh-consumer has 1 consumer route(s) for gateway-conformance-mesh/echo:80, so producer routes are not consulted", e.ViewReason, StringComparison.Ordinal);
        Assert.Contains(e.Routes, r => r is { Name: "producer", Applied: false });
        Assert.Equal((1, 0), (e.Matched!.Origin.RuleIndex, e.Matched.Origin.MatchIndex));
        Assert.Contains(e.AlsoMatched, a => a.LostBecause == "E1 step 2: longest PathPrefix (/v2 has 3 chars, / has 1)");
        Assert.StartsWith("forward", e.Outcome, StringComparison.Ordinal);

        var split = model.Explain(K.Consumer, new("echo.gateway-conformance-mesh", 80, "GET", "/", []));
        Assert.Equal([0.7, 0.3], split.Backends.Select(b => b.Share));
        Assert.Contains(split.ToLines(), l => l.StartsWith("backend:  gateway-conformance-mesh/echo-v1:8080 weight 70 (70%)", StringComparison.Ordinal));
    }

    [Fact]
    public void Explain_reports_404_redirects_and_unknown_hosts()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/port")).With(Redirect(new HttpRequestRedirectFilter { Port = 8083 }))));
        Assert.Equal("302 redirect, Location: http://echo:8083/port/x?a=1 (gamma-spec G6)",
            model.Explain(Mesh, new("echo", 80, "GET", "/port/x?a=1", [])).Outcome);
        Assert.StartsWith("404", model.Explain(Mesh, new("echo", 80, "GET", "/other", [])).Outcome, StringComparison.Ordinal);
        var unknown = model.Explain(Mesh, new("nope", 80, "GET", "/", []));
        Assert.Null(unknown.Frontend);
        Assert.Contains("does not exist", unknown.FrontendNote, StringComparison.Ordinal);
    }
}
