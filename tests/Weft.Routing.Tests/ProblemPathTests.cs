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

    [Fact]
    public void H2_a_retry_problem_names_the_rules_retry_field()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/ok"), Backend("echo-v1", 80)),
            Rule(Prefix("/a"), Backend("echo-v1", 80)) with { Retry = new HttpRouteRetry { Codes = [503, 700], Backoff = "later" } }));

        var message = model.StatusOf("r").Cond("PartiallyInvalid").Message;
        Assert.Contains("rules[1].retry.codes: \"700\" is not a supported value", message, StringComparison.Ordinal);
        Assert.Contains("rules[1].retry.backoff: \"later\" is not a Gateway API duration", message, StringComparison.Ordinal);
    }

    [Fact]
    public void H2_a_mirrors_own_backend_filter_is_named_under_the_mirror()
    {
        var mirror = new HttpRouteFilter
        {
            Type = FilterKind.RequestMirror,
            RequestMirror = new HttpRequestMirrorFilter { BackendRef = Backend("echo-v2", 80, filters: Unknown) },
        };
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80),
            Rule(Prefix("/ok"), Backend("echo-v1", 80)),
            Rule(Prefix("/a"), Backend("echo-v1", 80)).With(mirror)));

        Assert.Contains("rules[1].filters[0].requestMirror.backendRef.filters[0].type: \"NoSuchFilter\" is not a supported value",
            model.StatusOf("r").Cond("PartiallyInvalid").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void E4_of_repeated_header_names_only_the_first_counts_in_a_long_list_too()
    {
        HttpRouteMatch Repeated(int count) => new()
        {
            Path = new HttpPathMatch { Type = "PathPrefix", Value = "/" },
            Headers = [.. Enumerable.Range(0, count).Select(i => new HttpHeaderMatch { Name = i % 2 == 0 ? "X-A" : "x-a", Value = $"{i}" })],
        };

        foreach (var count in new[] { 3, 40 })
        {
            var headers = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Repeated(count), Backend("echo-v1", 80)))).Policy("echo").Rules.Single().Match.Headers;
            Assert.Equal([("X-A", "0")], headers.Select(h => (h.Name, h.Value)));
        }
    }

    [Fact]
    public void K1_a_GRPCRoute_match_problem_names_the_method_and_its_retry_annotations_name_only_the_annotation()
    {
        var route = Grpc(Mesh, "g", Parent("echo", port: 7070),
            GrpcRule([GrpcMatch(null, null)], Backend("echo-v1", 7070)),
            GrpcRule([GrpcMatch("svc", null), new GrpcRouteMatch { Method = new GrpcMethodMatch { Service = "s", Type = "Prefix" } }], Backend("echo-v1", 7070)) with { Name = "named" });
        route = route with
        {
            Metadata = route.Metadata with
            {
                Annotations = new Dictionary<string, string> { ["retry.weft.dev/grpc-codes"] = "unavailable", ["retry.weft.dev/backoff"] = "later" },
            },
        };

        var message = Model(route).StatusOf("g").Cond("Accepted").Message;
        Assert.Contains("rules[1] (\"named\").matches[1].method.type: \"Prefix\" is not a supported value", message, StringComparison.Ordinal);
        Assert.Contains(" metadata.annotations[retry.weft.dev/backoff]: \"later\" is not a Gateway API duration", message, StringComparison.Ordinal);
        Assert.DoesNotContain("].metadata.annotations", message, StringComparison.Ordinal);
    }

    [Fact]
    public void K2_an_L4_rules_backend_problem_names_the_rule_by_its_name()
    {
        var route = Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("missing", 9090));
        route = route with { Spec = route.Spec with { Rules = [route.Spec.Rules[0] with { Name = "only" }] } };

        Assert.Contains("rules[0] (\"only\").backendRefs[0]: Service gateway-conformance-mesh/missing not found",
            Model(route).StatusOf("t").Cond("ResolvedRefs").Message, StringComparison.Ordinal);
    }
}
