using Weft.Api.Model;
using Weft.Routing.Filters;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec G: filters, I: timeouts, J: retries.</summary>
public class FilterTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    private sealed class Editor : IHeaderEditor
    {
        public List<(string Name, string Value)> Lines { get; } = [];

        public string? Get(string name)
        {
            var values = Lines.Where(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(l => l.Value).ToList();
            return values.Count == 0 ? null : string.Join(",", values);
        }

        public void Set(string name, string value)
        {
            Remove(name);
            Lines.Add((name, value));
        }

        public void Append(string name, string value) => Lines.Add((name, value));

        public void Remove(string name) => Lines.RemoveAll(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void G2_RequestRedirect_and_URLRewrite_together_are_IncompatibleFilters()
    {
        var rule = Rule(Prefix("/")).With(
            Redirect(new HttpRequestRedirectFilter { Hostname = "example.org" }),
            new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new HttpUrlRewriteFilter { Hostname = "x" } });
        var c = Model(Http(Mesh, "r", Echo80, rule)).StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "IncompatibleFilters"), (c.Status, c.Reason));
    }

    [Fact]
    public void G2_a_RequestRedirect_in_a_rule_with_backendRefs_is_IncompatibleFilters()
    {
        var rule = Rule(Prefix("/"), Backend("echo-v1", 80)).With(Redirect(new HttpRequestRedirectFilter { Hostname = "example.org" }));
        var c = Model(Http(Mesh, "r", Echo80, rule)).StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "IncompatibleFilters"), (c.Status, c.Reason));
        Assert.Contains("RequestRedirect filter and backendRefs", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void G2_redirect_with_backendRefs_reads_the_requestRedirect_field_as_the_CRD_CEL_does_whatever_the_filter_type()
    {
        // The CRD's CEL (and weft validate) reject this rule; Routing used to look at the type only and let the stray
        // requestRedirect through. One rule now (HttpRouteRule.RedirectsWithBackends), read as the CEL reads it.
        var stray = new HttpRouteFilter
        {
            Type = HttpRouteFilterType.ResponseHeaderModifier,
            ResponseHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = "x", Value = "y" }] },
            RequestRedirect = new HttpRequestRedirectFilter { Hostname = "example.org" },
        };
        var c = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80)).With(stray))).StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "IncompatibleFilters"), (c.Status, c.Reason));
    }

    [Fact]
    public void G2_ReplacePrefixMatch_needs_exactly_one_PathPrefix_match()
    {
        var rewrite = new HttpRouteFilter
        {
            Type = HttpRouteFilterType.UrlRewrite,
            UrlRewrite = new HttpUrlRewriteFilter { Path = new HttpPathModifier { Type = PathModifierType.ReplacePrefixMatch, ReplacePrefixMatch = "/x" } },
        };
        var model = Model(Http(Mesh, "r", Echo80,
            Rule([Prefix("/a"), Prefix("/b")], Backend("echo-v1", 80)).With(rewrite),
            Rule(Prefix("/ok"), Backend("echo-v1", 80)).With(rewrite)));
        var status = model.StatusOf("r");
        Assert.Equal("True", status.Cond("Accepted").Status);
        var partial = status.Cond("PartiallyInvalid");
        Assert.Equal(("True", "UnsupportedValue"), (partial.Status, partial.Reason));
        Assert.StartsWith("Dropped Rule", partial.Message, StringComparison.Ordinal);
        Assert.Contains("ReplacePrefixMatch needs", partial.Message, StringComparison.Ordinal);
        var only = model.Policy("echo").Rules.Single();
        Assert.Equal("/ok", only.Filters.Single().Rewrite!.Path!.MatchedPrefix);
    }

    [Fact]
    public void G1_ExtensionRef_and_ExternalAuth_filters_are_UnsupportedValue()
    {
        var model = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80)).With(
            new HttpRouteFilter { Type = HttpRouteFilterType.ExtensionRef, ExtensionRef = new LocalObjectReference { Group = "x", Kind = "Y", Name = "z" } })));
        var c = model.StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "UnsupportedValue"), (c.Status, c.Reason));
        Assert.Contains("ExtensionRef", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void G3_filters_keep_list_order_and_backend_filters_stay_with_their_backend()
    {
        var rule = Rule(Prefix("/"), Backend("echo-v1", 8080, 1, null, new HttpRouteFilter
        {
            Type = HttpRouteFilterType.RequestHeaderModifier,
            RequestHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = "X-Header-Set", Value = "set-overwrites-values" }] },
        })).With(
            SetResponseHeader("a", "1"),
            new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new HttpHeaderFilter { Remove = ["x"] } },
            new HttpRouteFilter
            {
                Type = HttpRouteFilterType.RequestMirror,
                RequestMirror = new HttpRequestMirrorFilter { BackendRef = Backend("echo-v2", 80), Fraction = new Fraction { Numerator = 1, Denominator = 4 } },
            });
        var policy = Model(Http(Mesh, "r", Echo80, rule)).Policy("echo").Rules.Single();
        Assert.Equal([FilterKind.ResponseHeaderModifier, FilterKind.RequestHeaderModifier, FilterKind.RequestMirror], policy.Filters.Select(f => f.Kind));
        Assert.Equal(0.25, policy.Filters[2].Mirror!.Share);
        Assert.Equal("echo-v2", policy.Filters[2].Mirror!.Backend.Name);
        Assert.Equal(FilterKind.RequestHeaderModifier, policy.Backends.Single().Filters.Single().Kind);
    }

    [Fact]
    public void G4_set_overwrites_add_appends_remove_deletes_case_insensitively()
    {
        // MeshHTTPRouteRequestHeaderModifier "/case-insensitivity".
        var editor = new Editor();
        editor.Lines.AddRange([("x-header-set", "original-val-set"), ("x-header-add", "original-val-add"), ("x-header-remove", "original-val-remove"), ("Another-Header", "another-header-val")]);
        HeaderModification.Apply(new HeaderModifierPolicy
        {
            Set = [new HeaderValuePolicy { Name = "X-Header-Set", Value = "header-set" }],
            Add = [new HeaderValuePolicy { Name = "X-Header-Add", Value = "header-add" }],
            Remove = ["X-Header-Remove"],
        }, editor);
        Assert.Equal("header-set", editor.Get("X-HEADER-SET"));
        Assert.Equal("original-val-add,header-add", editor.Get("X-Header-Add"));
        Assert.Null(editor.Get("x-header-remove"));
        Assert.Equal("another-header-val", editor.Get("another-header"));
    }

    [Fact]
    public void G5_backend_level_header_filters_compile_like_rule_level_ones()
    {
        var filter = new HttpRouteFilter
        {
            Type = HttpRouteFilterType.RequestHeaderModifier,
            RequestHeaderModifier = new HttpHeaderFilter { Add = [new HttpHeader { Name = "X-Header-Add", Value = "add-appends-values" }] },
        };
        var b = Model(Http(Mesh, "r", Echo80, Rule(Prefix("/add"), Backend("echo-v1", 8080, 1, null, filter)))).Policy("echo").Rules.Single().Backends.Single();
        Assert.Equal("add-appends-values", b.Filters.Single().Headers!.Add.Single().Value);
    }

    [Theory]
    [InlineData(null, null, null, null, 302, "/port", "http://echo/port")]
    [InlineData(null, null, 8083, null, 302, "/port", "http://echo:8083/port")]
    [InlineData(null, "example.org", 8083, null, 302, "/port-and-host", "http://example.org:8083/port-and-host")]
    [InlineData("https", null, null, null, 302, "/scheme", "https://echo/scheme")]
    [InlineData("https", "example.org", null, null, 301, "/scheme-and-host", "https://example.org/scheme-and-host")]
    [InlineData(null, "example.org", null, null, 302, "/hostname-redirect", "http://example.org/hostname-redirect")]
    [InlineData(null, null, null, "/replacement-prefix", 302, "/original-prefix/lemon", "http://echo/replacement-prefix/lemon")]
    [InlineData(null, null, null, "=/full-path-replacement", 302, "/full/path/original", "http://echo/full-path-replacement")]
    [InlineData(null, null, null, null, 303, "/redirect?a=1&b", "http://echo/redirect?a=1&b")]
    [InlineData("http", null, null, null, 302, "/x", "http://echo/x")]
    public void G6_redirect_Location(string? scheme, string? host, int? port, string? path, int status, string request, string location)
    {
        PathModifierPolicy? modifier = path switch
        {
            null => null,
            ['=', .. var full] => new PathModifierPolicy { Type = PathRewrite.ReplaceFullPath, Value = full },
            _ => new PathModifierPolicy { Type = PathRewrite.ReplacePrefixMatch, Value = path, MatchedPrefix = "/original-prefix" },
        };
        var q = request.IndexOf('?', StringComparison.Ordinal);
        var (p, query) = q < 0 ? (request, null) : (request[..q], request[(q + 1)..]);
        var result = RedirectLocation.Build(new RedirectPolicy { Scheme = scheme, Hostname = host, Port = port, Path = modifier, StatusCode = status }, "http", "echo", 80, p, query);
        Assert.Equal((status, location), result);
    }

    [Fact]
    public void G6_listener_port_is_the_Service_port_and_the_Host_header_port_is_dropped()
    {
        var (_, location) = RedirectLocation.Build(new RedirectPolicy { Hostname = null }, "http", "echo:8080", 8080, "/a", null);
        Assert.Equal("http://echo:8080/a", location);
        (_, location) = RedirectLocation.Build(new RedirectPolicy { Scheme = "https" }, "http", "echo:8080", 8080, "/a", null);
        Assert.Equal("https://echo/a", location);
    }

    [Theory]
    [InlineData("/foo/bar", "/foo", "/xyz", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo", "/xyz/", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo/", "/xyz", "/xyz/bar")]
    [InlineData("/foo", "/foo", "/xyz", "/xyz")]
    [InlineData("/foo/", "/foo", "/xyz", "/xyz/")]
    [InlineData("/foo/bar", "/foo", "", "/bar")]
    [InlineData("/foo/", "/foo", "", "/")]
    [InlineData("/foo", "/foo", "", "/")]
    [InlineData("/foo", "/foo", "/", "/")]
    [InlineData("/foo/", "/foo", "/", "/")]
    [InlineData("/prefix/one/two", "/prefix/one", "/one", "/one/two")]
    [InlineData("/strip-prefix/three", "/strip-prefix", "/", "/three")]
    [InlineData("/strip-prefix", "/strip-prefix", "/", "/")]
    [InlineData("/prefix/rewrite-path-and-modify-headers/one", "/prefix/rewrite-path-and-modify-headers", "/prefix", "/prefix/one")]
    [InlineData("/anything", "/", "/xyz", "/xyz/anything")]
    public void G7_ReplacePrefixMatch_is_element_wise(string request, string prefix, string replacement, string expected) =>
        Assert.Equal(expected, PathRewrite.Apply(new PathModifierPolicy { Type = PathRewrite.ReplacePrefixMatch, Value = replacement, MatchedPrefix = prefix }, request));

    [Fact]
    public void G7_ReplaceFullPath_replaces_the_whole_path() =>
        Assert.Equal("/one", PathRewrite.Apply(new PathModifierPolicy { Type = PathRewrite.ReplaceFullPath, Value = "/one" }, "/full/one/two"));

    [Fact]
    public void G8_mirror_share_comes_from_percent_or_fraction()
    {
        HttpRouteFilter Mirror(int? percent, Fraction? fraction) => new()
        {
            Type = HttpRouteFilterType.RequestMirror,
            RequestMirror = new HttpRequestMirrorFilter { BackendRef = Backend("echo-v2", 80), Percent = percent, Fraction = fraction },
        };
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Exact("/a"), Backend("echo-v1", 80)).With(Mirror(42, null)),
            Rule(Exact("/b"), Backend("echo-v1", 80)).With(Mirror(null, null))));
        Assert.Equal([0.42, 1.0], model.Policy("echo").Rules.Select(r => r.Filters.Single().Mirror!.Share));
    }

    [Fact]
    public void I_timeouts_are_parsed_as_GEP_2257_durations_and_bad_ones_drop_the_rule()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Exact("/a"), Backend("echo-v1", 80)) with { Timeouts = new HttpRouteTimeouts { Request = "1h30m", BackendRequest = "500ms" } },
            Rule(Exact("/b"), Backend("echo-v1", 80)) with { Timeouts = new HttpRouteTimeouts { Request = "1.5s" } }));
        var t = model.Policy("echo").Rules.Single().Timeouts!;
        Assert.Equal((TimeSpan.FromMinutes(90), TimeSpan.FromMilliseconds(500)), (t.Request, t.BackendRequest));
        Assert.Contains("GEP-2257", model.StatusOf("r").Cond("PartiallyInvalid").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void J_retry_attempts_are_the_maximum_number_of_retries()
    {
        var model = Model(Http(Mesh, "r", Echo80,
            Rule(Prefix("/"), Backend("echo-v1", 80)) with { Retry = new HttpRouteRetry { Codes = [500, 503], Attempts = 3, Backoff = "100ms" } }));
        var r = model.Policy("echo").Rules.Single().Retry!;
        Assert.Equal([500, 503], r.Codes);
        Assert.Equal((3, TimeSpan.FromMilliseconds(100)), (r.Attempts, r.Backoff));
    }
}
