using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec D (route types on one port) and E (HTTPRoute matching and precedence).</summary>
public class PrecedenceTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    [Fact]
    public void D1_GRPCRoute_wins_over_HTTPRoute_loser_is_Conflicted()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo", port: 7070), Rule(Prefix("/"), Backend("echo-v1", 7070))),
            Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070))),
            Tcp(Mesh, "t", Parent("echo", port: 7070), Backend("echo-v2", 7070)));

        var policy = model.Policy("echo", 7070);
        Assert.Equal("grpc", policy.Protocol);
        Assert.All(policy.Rules, r => Assert.Equal("GRPCRoute", r.Origin.RouteKind));
        var h = model.StatusOf("h").Cond("Accepted");
        Assert.Equal(("False", "Conflicted"), (h.Status, h.Reason));
        Assert.Contains("GRPCRoute gateway-conformance-mesh/g", h.Message, StringComparison.Ordinal);
        Assert.Equal("Conflicted", model.StatusOf("t").Cond("Accepted").Reason);
        Assert.Equal("True", model.StatusOf("g").Cond("Accepted").Status);
    }

    [Fact]
    public void D1_a_route_losing_on_some_ports_only_stays_Accepted_elsewhere()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo"), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070))));
        var h = model.StatusOf("h").Cond("Accepted");
        Assert.Equal("True", h.Status);
        Assert.Contains("port 7070", h.Message, StringComparison.Ordinal);
        Assert.Equal("http", model.Policy("echo", 80).Protocol);
        Assert.Equal("grpc", model.Policy("echo", 7070).Protocol);
    }

    [Fact]
    public void D1_the_type_conflict_is_decided_within_the_selected_group()
    {
        // A consumer HTTPRoute does not conflict with a producer GRPCRoute: they never apply to the same client.
        var model = Model(
            Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070))),
            Http(K.Consumer, "h", Parent("echo", ns: Mesh, port: 7070), Rule(Prefix("/"), Backend("echo-v2", 7070, ns: Mesh))));
        Assert.Equal("True", model.StatusOf("h").Cond("Accepted").Status);
        Assert.Equal("http", model.Policy("echo.gateway-conformance-mesh", 7070, K.Consumer).Protocol);
        Assert.Equal("grpc", model.Policy("echo", 7070, Mesh).Protocol);
    }

    [Fact]
    public void E1_exact_path_beats_longest_prefix()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Prefix("/v1/very/long/prefix"), Backend("echo-v2", 80)),
            Rule(Exact("/v1/very/long/prefix"), Backend("echo-v1", 80))));
        Assert.Equal("echo-v1", model.BackendFor("/v1/very/long/prefix"));
        Assert.Equal("echo-v2", model.BackendFor("/v1/very/long/prefix/x"));
    }

    [Fact]
    public void E1_longest_prefix_then_method_then_most_headers_then_most_query_params()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Prefix("/"), Backend("root", 80)),
            Rule(Prefix("/a"), Backend("a", 80)),
            Rule(Prefix("/a") with { Method = "POST" }, Backend("a-post", 80)),
            Rule(Prefix("/a").Headers(("x", "1")), Backend("a-h1", 80)),
            Rule(Prefix("/a").Headers(("x", "1"), ("y", "2")), Backend("a-h2", 80)),
            Rule(Prefix("/a").Query(("q", "1")), Backend("a-q1", 80))));
        Assert.Equal("root", Hit(model, "/b"));
        Assert.Equal("a", Hit(model, "/a"));
        Assert.Equal("a-post", Hit(model, "/a", "POST", ("x", "1"), ("y", "2")));
        Assert.Equal("a-h2", Hit(model, "/a?q=1", "GET", ("x", "1"), ("y", "2")));
        Assert.Equal("a-h1", Hit(model, "/a?q=1", "GET", ("x", "1")));
        Assert.Equal("a-q1", Hit(model, "/a?q=1"));
    }

    [Fact]
    public void E1_ties_go_to_the_oldest_route_then_namespace_name_then_rule_order()
    {
        var older = Http(Mesh, "zz-older", Echo80, Rule(Prefix("/x"), Backend("older", 80))).Created(1);
        var newer = Http(Mesh, "aa-newer", Echo80, Rule(Prefix("/x"), Backend("newer", 80))).Created(2);
        Assert.Equal("older", Hit(Model(newer, older), "/x"));

        var b = Http(Mesh, "b", Echo80, Rule(Prefix("/x"), Backend("b", 80)));
        var a = Http(Mesh, "a", Echo80, Rule(Prefix("/x"), Backend("a", 80)), Rule(Prefix("/x"), Backend("a-second", 80)));
        Assert.Equal("a", Hit(Model(b, a), "/x"));
    }

    [Fact]
    public void E1_regex_paths_rank_after_exact_and_before_prefix()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Prefix("/"), Backend("prefix", 80)),
            Rule(Regex("/items/[0-9]+"), Backend("regex", 80)),
            Rule(Exact("/items/42"), Backend("exact", 80))));
        Assert.Equal("exact", Hit(model, "/items/42"));
        Assert.Equal("regex", Hit(model, "/items/7"));
        Assert.Equal("prefix", Hit(model, "/items/7/x")); // anchored: the regex must match the whole path
    }

    [Theory]
    [InlineData("/", null, null, "echo-v1")]
    [InlineData("/example", null, null, "echo-v1")]
    [InlineData("/", "Version", "one", "echo-v1")]
    [InlineData("/v2", null, null, "echo-v2")]
    [InlineData("/v2/example", null, null, "echo-v2")]
    [InlineData("/", "Version", "two", "echo-v2")]
    [InlineData("/v2/", null, null, "echo-v2")]
    [InlineData("/v2example", null, null, "echo-v1")]
    [InlineData("/foo/v2/example", null, null, "echo-v1")]
    public void E2_worked_example_MeshHTTPRouteMatching(string path, string? header, string? value, string backend)
    {
        var model = Model(Http(Mesh, "mesh-matching", Echo80,
            Rule([Prefix("/"), new HttpRouteMatch().Headers(("version", "one"))], Backend("echo-v1", 8080)),
            Rule([Prefix("/v2"), new HttpRouteMatch().Headers(("version", "two"))], Backend("echo-v2", 8080))));
        var headers = header is null ? [] : new[] { (header, value!) };
        Assert.Equal(backend, model.BackendFor(path, headers));
    }

    [Theory]
    [InlineData("/abc", "/abc", true)]
    [InlineData("/abc", "/abc/", true)]
    [InlineData("/abc", "/abc/def", true)]
    [InlineData("/abc", "/abcd", false)]
    [InlineData("/abc/", "/abc", true)]
    [InlineData("/abc/", "/abc/def", true)]
    [InlineData("/abc", "/Abc", false)]
    [InlineData("/a/b", "/a/b/c", true)]
    [InlineData("/a/b", "/a/bc", false)]
    [InlineData("/", "/anything", true)]
    public void E3_PathPrefix_is_element_wise_and_case_sensitive(string prefix, string path, bool matches)
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix(prefix), Backend("hit", 80))));
        Assert.Equal(matches, model.Route(path) is not null);
    }

    [Theory]
    [InlineData("/abc", true)]
    [InlineData("/abc/", false)]
    [InlineData("/Abc", false)]
    [InlineData("/abcd", false)]
    public void E3_Exact_is_exact_and_case_sensitive(string path, bool matches)
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Exact("/abc"), Backend("hit", 80))));
        Assert.Equal(matches, model.Route(path) is not null);
    }

    [Fact]
    public void E4_header_names_are_case_insensitive_values_exact_and_first_entry_wins()
    {
        var match = new HttpRouteMatch
        {
            Headers =
            [
                new HttpHeaderMatch { Name = "X-Env", Value = "Prod" },
                new HttpHeaderMatch { Name = "x-env", Value = "ignored" },
                new HttpHeaderMatch { Name = "x-re", Value = "v[0-9]+", Type = HeaderMatchType.RegularExpression },
            ],
        };
        var model = Model(Http(Mesh, "r", Echo80, Rule(match, Backend("hit", 80))));
        Assert.Equal("hit", model.BackendFor("/", ("x-env", "Prod"), ("X-RE", "v12")));
        Assert.Equal("404", model.BackendFor("/", ("x-env", "prod"), ("X-RE", "v12")));
        Assert.Equal("404", model.BackendFor("/", ("x-env", "Prod"), ("X-RE", "v12x")));
        Assert.Single(model.Policy("echo").Rules[0].Match.Headers, h => h.Name.Equals("x-env", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("/?animal=whale", null, "echo-v1")]
    [InlineData("/?animal=dolphin", null, "echo-v2")]
    [InlineData("/?animal=whale&otherparam=irrelevant", null, "echo-v1")]
    [InlineData("/?animal=dolphin&color=yellow", null, "echo-v2")]
    [InlineData("/?color=blue", null, "404")]
    [InlineData("/?animal=dog", null, "404")]
    [InlineData("/?animal=whaledolphin", null, "404")]
    [InlineData("/", null, "404")]
    [InlineData("/path1?animal=whale", null, "echo-v1")]
    [InlineData("/?animal=whale", "one", "echo-v2")]
    [InlineData("/path3?animal=shark", null, "echo-v1")]
    [InlineData("/path4?animal=kraken", "three", "echo-v1")]
    [InlineData("/?animal=shark", null, "404")]
    [InlineData("/path4?animal=kraken", null, "404")]
    [InlineData("/path5?animal=hydra", null, "echo-v1")]
    [InlineData("/?animal=wh%61le", null, "echo-v1")]
    [InlineData("/?animal=whale&animal=dolphin", null, "echo-v1")]
    public void E5_query_param_matching_MeshHTTPRouteQueryParamMatching(string pathAndQuery, string? version, string backend)
    {
        var model = Model(Http(Mesh, "qp", Echo80,
            Rule(new HttpRouteMatch().Query(("animal", "whale")), Backend("echo-v1", 8080)),
            Rule(new HttpRouteMatch().Query(("animal", "dolphin")), Backend("echo-v2", 8080)),
            Rule(Prefix("/path1").Query(("animal", "whale")), Backend("echo-v1", 8080)),
            Rule(new HttpRouteMatch().Headers(("version", "one")).Query(("animal", "whale")), Backend("echo-v2", 8080)),
            Rule([Prefix("/path3").Query(("animal", "shark")), Prefix("/path4").Headers(("version", "three")).Query(("animal", "kraken"))], Backend("echo-v1", 8080)),
            Rule(Prefix("/path5"), Backend("echo-v1", 8080)),
            Rule(new HttpRouteMatch().Query(("animal", "hydra")), Backend("echo-v2", 8080))));
        var headers = version is null ? [] : new[] { ("version", version) };
        Assert.Equal(backend, model.BackendFor(pathAndQuery, headers));
    }

    [Fact]
    public void E6_method_match()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/") with { Method = "DELETE" }, Backend("hit", 80))));
        Assert.NotNull(model.Route("/", method: "DELETE"));
        Assert.Null(model.Route("/", method: "GET"));
    }

    [Fact]
    public void E7_conditions_AND_within_a_match_and_OR_across_matches()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule([Prefix("/a").Headers(("x", "1")), Exact("/b")], Backend("hit", 80))));
        Assert.NotNull(model.Route("/a", headers: ("x", "1")));
        Assert.Null(model.Route("/a"));
        Assert.NotNull(model.Route("/b"));
    }

    [Fact]
    public void E8_unknown_enum_values_are_UnsupportedValue_and_do_not_crash()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(new HttpRouteMatch { Path = new HttpPathMatch { Type = "Glob", Value = "/*" } }, Backend("echo-v1", 80))));
        var c = model.StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "UnsupportedValue"), (c.Status, c.Reason));
        Assert.Contains("\"Glob\"", c.Message, StringComparison.Ordinal);
        Assert.Equal("none", model.Policy("echo").View);
    }

    [Fact]
    public void E8_a_method_outside_the_enum_is_UnsupportedValue()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/") with { Method = "BREW" }, Backend("echo-v1", 80))));
        Assert.Equal("UnsupportedValue", model.StatusOf("r").Cond("Accepted").Reason);
    }

    private static string Hit(MeshModel model, string pathAndQuery, string method = "GET", params (string, string)[] headers) =>
        model.Route(pathAndQuery, method: method, headers: headers)?.Backends.Single().Name ?? "404";
}
