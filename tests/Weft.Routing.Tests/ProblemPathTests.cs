using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// gamma-spec H2 and E8: a route's status names where in its spec each problem is, from the rule (with its name) down to
/// the field, however deep: a match's header, a filter's path, a mirror's backend, a backend's own filter, a timeout.
/// </summary>
public class ProblemPathTests
{
    private static readonly HttpRouteFilter Unknown = new() { Type = "NoSuchFilter" };

    [Fact]
    public void H2_a_dropped_rules_problem_names_its_place_from_the_rule_down_to_the_field()
    {
        var badHeader = new HttpRouteMatch { Headers = [new HttpHeaderMatch { Name = "x-a", Value = "(", Type = HeaderMatchType.RegularExpression }] };
        var twoMatchRewrite = new HttpRouteFilter
        {
            Type = FilterKind.UrlRewrite,
            UrlRewrite = new HttpUrlRewriteFilter { Path = new HttpPathModifier { Type = PathModifierType.ReplacePrefixMatch, ReplacePrefixMatch = "/b" } },
        };
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/ok"), Backend("echo-v1", 80)),
            Rule([Prefix("/a"), badHeader], Backend("echo-v1", 80)) with { Name = "named" },
            Rule([Prefix("/b"), Prefix("/c")], Backend("echo-v1", 80)).With(SetResponseHeader("x", "y"), twoMatchRewrite),
            Rule(Prefix("/d"), Backend("echo-v1", 80, filters: Unknown)),
            Rule(Prefix("/e"), Backend("echo-v1", 80)) with { Timeouts = new HttpRouteTimeouts { Request = "soon" } }));

        var message = model.StatusOf("r").Cond("PartiallyInvalid").Message;
        Assert.Contains("rules[1] (\"named\").matches[1].headers \"x-a\": regular expression \"(\" is refused", message, StringComparison.Ordinal);
        Assert.Contains("rules[2].filters[1].urlRewrite.path: ReplacePrefixMatch needs the rule to have exactly one match", message, StringComparison.Ordinal);
        Assert.Contains("rules[3].backendRefs[0].filters[0].type: \"NoSuchFilter\" is not a supported value", message, StringComparison.Ordinal);
        Assert.Contains("rules[4].timeouts.request: \"soon\" is not a Gateway API duration", message, StringComparison.Ordinal);
        Assert.Equal("/ok", model.Policy("echo").Rules.Single().Match.PathValue);
    }

    [Fact]
    public void H2_a_backend_problem_names_the_backendRef_or_the_mirror_it_is_in()
    {
        var mirror = new HttpRouteFilter { Type = FilterKind.RequestMirror, RequestMirror = new HttpRequestMirrorFilter { BackendRef = Backend("gone", 80) } };
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/a"), Backend("echo-v1", 80)).With(SetResponseHeader("x", "y"), mirror) with { Name = "mirrored" },
            Rule(Prefix("/b"), Backend("echo-v1", 80), Backend("missing", 80))));

        var message = model.StatusOf("r").Cond("ResolvedRefs").Message;
        Assert.Contains("rules[0] (\"mirrored\").filters[1].requestMirror.backendRef: Service gateway-conformance-mesh/gone not found", message, StringComparison.Ordinal);
        Assert.Contains("rules[1].backendRefs[1]: Service gateway-conformance-mesh/missing not found", message, StringComparison.Ordinal);
    }
}
