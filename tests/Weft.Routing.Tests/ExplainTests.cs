using Weft.Api.Model;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
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

    [Fact]
    public void Explain_says_a_request_to_a_port_without_routes_or_an_HTTP_appProtocol_is_detected_and_sent_as_HTTP()
    {
        var lines = Model().Explain(Mesh, new("echo", 443, "GET", "/", [])).ToLines();
        Assert.Contains("protocol: opaque: no route and no appProtocol: the client's sidecar tells by the first bytes; an HTTP request such as this one is served at L7, anything else is relayed as TCP", lines);
        Assert.Contains(lines, l => l.StartsWith("backend:  gateway-conformance-mesh/echo:443 weight 1 (100%): forward to the Service's own endpoints (no route applies, gamma-spec C1): http to ", StringComparison.Ordinal));
        Assert.Contains("protocol: http", Model().Explain(Mesh, new("echo", 80, "GET", "/", [])).ToLines());
    }

    [Fact]
    public void Explain_says_the_client_s_sidecar_answers_a_CORS_preflight_and_names_the_rule_s_timeouts_and_retries()
    {
        var cors = new HttpRouteFilter { Type = HttpRouteFilterType.Cors, Cors = new HttpCorsFilter { AllowOrigins = ["https://app.example.com"], AllowMethods = ["POST"] } };
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/"), Backend("echo-v1", 80)).With(cors) with
            {
                Timeouts = new HttpRouteTimeouts { Request = "1s", BackendRequest = "500ms" },
                Retry = new HttpRouteRetry { Codes = [503], Attempts = 2, Backoff = "100ms" },
            }));

        ExplainRequest Preflight(string origin) => new("echo", 80, "OPTIONS", "/orders", [new("Origin", origin), new("Access-Control-Request-Method", "POST")]);
        var allowed = model.Explain(Mesh, Preflight("https://app.example.com"));
        Assert.StartsWith("204 CORS preflight answered by the client's sidecar (the rule's CORS filter): Access-Control-Allow-Origin: https://app.example.com", allowed.Outcome, StringComparison.Ordinal);
        Assert.EndsWith("; nothing is forwarded", allowed.Outcome, StringComparison.Ordinal);
        Assert.StartsWith("204 CORS preflight answered by the client's sidecar (the rule's CORS filter) without CORS headers",
            model.Explain(Mesh, Preflight("https://evil.example.com")).Outcome, StringComparison.Ordinal);
        Assert.StartsWith("forward", model.Explain(Mesh, new("echo", 80, "OPTIONS", "/orders", [new("Origin", "https://app.example.com")])).Outcome, StringComparison.Ordinal); // not a preflight

        var lines = model.Explain(Mesh, new("echo", 80, "POST", "/orders", [])).ToLines();
        Assert.Contains("timeouts: request 1s, backendRequest 500ms (GEP-1742; 504 past them)", lines);
        Assert.Contains("retry:    up to 2 more tries on 503, backoff 100ms (GEP-1731)", lines);
    }

    // Where MeshModel.Explain used to work its answer out itself, the copy disagreed with the planners; each test below
    // shows the planner's answer winning.
    [Fact]
    public void Explain_picks_the_TLSRoute_rule_by_SNI_as_the_proxy_does_not_the_first_rule()
    {
        var model = Model(
            Tls(Mesh, "a", Parent("echo", port: 443), ["a.example.com"], Backend("echo-v1", 443)),
            Tls(Mesh, "b", Parent("echo", port: 443), ["b.example.com"], Backend("echo-v2", 443)));
        var b = model.Explain(Mesh, new("echo", 443, "GET", "/", [], ServerName: "b.example.com"));
        Assert.Equal(PlanOutcome.Forward, b.Decision);
        Assert.Equal("echo-v2", b.Backends.Single().Backend.Name);
        var none = model.Explain(Mesh, new("echo", 443, "GET", "/", [], ServerName: "c.example.com"));
        Assert.Equal(PlanOutcome.NoRuleMatched, none.Decision);
        Assert.Contains("no TLSRoute hostname matches SNI 'c.example.com'", none.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_builds_a_redirect_after_the_filters_before_it_as_the_proxy_does()
    {
        var setHost = new HttpRouteFilter
        {
            Type = HttpRouteFilterType.RequestHeaderModifier,
            RequestHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = "Host", Value = "moved.example" }] },
        };
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/")).With(setHost, Redirect(new HttpRequestRedirectFilter { StatusCode = 301 }))));
        var e = model.Explain(Mesh, new("echo", 80, "GET", "/x", []));
        Assert.Equal(PlanOutcome.Redirect, e.Decision);
        Assert.Equal("301 redirect, Location: http://moved.example/x (gamma-spec G6)", e.Outcome);
        Assert.Equal([FilterKind.RequestHeaderModifier, FilterKind.RequestRedirect], e.Filters.Select(f => f.Kind));
    }

    [Fact]
    public void Explain_says_what_each_backends_share_gets_including_backend_level_filters()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/"), Backend("echo-v1", 8080, 3), Backend("missing", 8080, 1))));
        var e = model.Explain(Mesh, new("echo", 80, "GET", "/", []));
        Assert.Null(e.Decision);
        Assert.Equal([PlanOutcome.Forward, PlanOutcome.InvalidBackend], e.Backends.Select(b => b.Outcome));
        Assert.StartsWith("split by weight (gamma-spec F2): 75% forward to gateway-conformance-mesh/echo-v1:8080", e.Outcome, StringComparison.Ordinal);
        Assert.Contains("25% 500: backend gateway-conformance-mesh/missing:8080 is invalid", e.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_answers_500_for_a_rule_whose_backends_all_weigh_zero_as_the_proxy_does()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 8080, 0))));
        var e = model.Explain(Mesh, new("echo", 80, "GET", "/", []));
        Assert.Equal(PlanOutcome.NoBackends, e.Decision);
        Assert.StartsWith("500", e.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_plans_a_gRPC_call_by_its_content_type_as_the_proxy_does()
    {
        var model = Model(Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([GrpcMatch("pkg.Svc", "Get")], Backend("echo-v1", 7070))));
        var call = model.Explain(Mesh, new("echo", 7070, "POST", "/pkg.Svc/Put", [new("content-type", "application/grpc")]));
        Assert.Equal(PlanOutcome.NoRuleMatched, call.Decision);
        Assert.StartsWith("gRPC UNIMPLEMENTED", call.Outcome, StringComparison.Ordinal);
        Assert.Equal(PlanOutcome.Forward, model.Explain(Mesh, new("echo", 7070, "POST", "/pkg.Svc/Get", [new("content-type", "application/grpc")])).Decision);
    }
}
