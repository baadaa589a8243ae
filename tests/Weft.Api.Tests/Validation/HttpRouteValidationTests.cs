using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>HTTPRoute CRD rules (gamma-spec L, G2, I, J), one test per rule, messages as kubectl shows them.</summary>
public sealed class HttpRouteValidationTests
{
    private const string Backend = """
        backendRefs:
        - name: echo-v1
          port: 8080
        """;

    [Fact]
    public void BackendRef_service_without_port_is_rejected_Must_have_port_for_Service_reference()
    {
        var problem = AssertRejected(HttpRule("backendRefs:\n- name: echo-v1"), "spec.rules[0].backendRefs[0]", "Must have port for Service reference");

        Assert.Equal("test.yaml:14: HTTPRoute gateway-conformance-mesh/bad is invalid: spec.rules[0].backendRefs[0]: Invalid value: \"object\": Must have port for Service reference",
            problem.ToString());
        Assert.NotNull(problem.Hint);
    }

    [Fact]
    public void BackendRef_of_another_kind_needs_no_port()
    {
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRule("backendRefs:\n- group: example.com\n  kind: Backend\n  name: b"));
    }

    [Fact]
    public void BackendRef_in_the_core_alias_group_without_port_passes_as_the_CEL_names_only_the_empty_group()
    {
        // The API server accepts it; Routing then reports the missing port (BackendNotFound), as it does in a cluster.
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRule("backendRefs:\n- group: core\n  kind: Service\n  name: echo-v1"));
    }

    [Fact]
    public void BackendRef_weight_is_0_to_1000000()
    {
        AssertRejected(HttpRule("backendRefs:\n- name: echo-v1\n  port: 80\n  weight: 1000001"), "spec.rules[0].backendRefs[0].weight", "should be less than or equal to 1000000");
    }

    [Fact]
    public void BackendRef_port_is_1_to_65535()
    {
        AssertRejected(HttpRule("backendRefs:\n- name: echo-v1\n  port: 0"), "spec.rules[0].backendRefs[0].port", "should be greater than or equal to 1");
    }

    [Fact]
    public void BackendRefs_at_most_16()
    {
        var refs = string.Concat(Enumerable.Range(0, 17).Select(i => $"\n- name: echo-{i}\n  port: 80"));
        AssertRejected(HttpRule("backendRefs:" + refs), "spec.rules[0].backendRefs", "Too many: 17: must have at most 16 items");
    }

    [Fact]
    public void Hostnames_must_match_the_Hostname_pattern()
    {
        AssertRejected(HttpRoute("  hostnames: [Foo.Example.com]"), "spec.hostnames[0]", "should match '^(\\*\\.)?[a-z0-9]");
    }

    [Fact]
    public void Hostnames_at_most_16()
    {
        var list = string.Join(",", Enumerable.Range(0, 17).Select(i => $"h{i}.example.com"));
        AssertRejected(HttpRoute($"  hostnames: [{list}]"), "spec.hostnames", "must have at most 16 items");
    }

    [Fact]
    public void Rules_at_least_1()
    {
        AssertRejected(HttpRoute("  rules: []"), "spec.rules", "should have at least 1 items");
    }

    [Fact]
    public void Rules_at_most_16()
    {
        var rules = string.Concat(Enumerable.Range(0, 17).Select(_ => "\n  - {}"));
        AssertRejected(HttpRoute("  rules:" + rules), "spec.rules", "Too many: 17");
    }

    [Fact]
    public void Matches_at_most_64_per_rule()
    {
        var matches = string.Concat(Enumerable.Range(0, 65).Select(i => $"\n- path: {{value: /p{i}}}"));
        AssertRejected(HttpRule("matches:" + Indent(matches, 0)), "spec.rules[0].matches", "Too many: 65");
    }

    [Fact]
    public void Total_matches_across_rules_at_most_128()
    {
        var rule = "\n  - matches:" + string.Concat(Enumerable.Range(0, 60).Select(i => $"\n    - path: {{value: /p{i}}}"));
        AssertRejected(HttpRoute("  rules:" + rule + rule + rule), "spec.rules",
            "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128");
    }

    [Fact]
    public void Rule_name_must_be_unique_within_the_route()
    {
        AssertRejected(HttpRoute("  rules:\n  - name: a\n  - name: a"), "spec.rules", "Rule name must be unique within the route");
    }

    [Fact]
    public void Rule_name_must_be_a_SectionName()
    {
        AssertRejected(HttpRoute("  rules:\n  - name: Not_Valid"), "spec.rules[0].name", "should match");
    }

    [Theory]
    [InlineData("relative", "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a//b", "must not contain '//' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a/./b", "must not contain '/./' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a/../b", "must not contain '/../' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a%2fb", "must not contain '%2f' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a%2Fb", "must not contain '%2F' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("\"/a#b\"", "must not contain '#' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a/..", "must not end with '/..' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("/a/.", "must not end with '/.' when type one of ['Exact', 'PathPrefix']")]
    [InlineData("\"/a b\"", "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']")]
    public void Path_value_rules_for_Exact_and_PathPrefix(string value, string message)
    {
        foreach (var type in (string[])["Exact", "PathPrefix"])
        {
            AssertRejected(HttpRule($"matches:\n- path:\n    type: {type}\n    value: {value}"), "spec.rules[0].matches[0].path", message);
        }
    }

    [Fact]
    public void Path_value_rules_do_not_apply_to_RegularExpression()
    {
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRule("matches:\n- path:\n    type: RegularExpression\n    value: \"^/a//b#.*\"\n" + Backend));
    }

    [Fact]
    public void Path_type_must_be_one_of_Exact_PathPrefix_RegularExpression()
    {
        AssertRejected(HttpRule("matches:\n- path:\n    type: Prefix\n    value: /a"), "spec.rules[0].matches[0].path", "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']");
    }

    [Fact]
    public void Path_value_at_most_1024_characters()
    {
        AssertRejected(HttpRule($"matches:\n- path:\n    value: /{new string('a', 1024)}"), "spec.rules[0].matches[0].path.value", "Too long: may not be more than 1024 bytes");
    }

    [Fact]
    public void Header_match_name_must_be_a_HeaderName()
    {
        AssertRejected(HttpRule("matches:\n- headers:\n  - name: \"bad header\"\n    value: x"), "spec.rules[0].matches[0].headers[0].name", "should match '^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$'");
    }

    [Fact]
    public void Header_match_value_must_not_have_leading_whitespace()
    {
        AssertRejected(HttpRule("matches:\n- headers:\n  - name: version\n    value: \" one\""), "spec.rules[0].matches[0].headers[0].value", "should match '^[!-~]+([\\t ]?[!-~]+)*$'");
    }

    [Fact]
    public void Header_match_names_are_unique_listType_map()
    {
        AssertRejected(HttpRule("matches:\n- headers:\n  - name: version\n    value: one\n  - name: version\n    value: two"),
            "spec.rules[0].matches[0].headers[1]", "Duplicate value: map[string]interface {}{\"name\":\"version\"}");
    }

    [Fact]
    public void Header_match_type_is_Exact_or_RegularExpression()
    {
        AssertRejected(HttpRule("matches:\n- headers:\n  - name: version\n    value: one\n    type: Prefix"),
            "spec.rules[0].matches[0].headers[0].type", "Unsupported value: \"Prefix\": supported values: \"Exact\", \"RegularExpression\"");
    }

    [Fact]
    public void Header_matches_at_most_16()
    {
        var headers = string.Concat(Enumerable.Range(0, 17).Select(i => $"\n  - name: h{i}\n    value: v"));
        AssertRejected(HttpRule("matches:\n- headers:" + headers), "spec.rules[0].matches[0].headers", "Too many: 17");
    }

    [Fact]
    public void Query_param_value_at_most_1024_and_names_unique()
    {
        AssertRejected(HttpRule($"matches:\n- queryParams:\n  - name: q\n    value: {new string('a', 1025)}"), "spec.rules[0].matches[0].queryParams[0].value", "Too long");
        AssertRejected(HttpRule("matches:\n- queryParams:\n  - name: q\n    value: a\n  - name: q\n    value: b"), "spec.rules[0].matches[0].queryParams[1]", "Duplicate value");
    }

    [Fact]
    public void Method_match_is_an_HTTP_method_enum()
    {
        AssertRejected(HttpRule("matches:\n- method: FETCH"), "spec.rules[0].matches[0].method", "Unsupported value: \"FETCH\"");
    }

    [Fact]
    public void Timeouts_must_be_Durations()
    {
        AssertRejected(HttpRule("timeouts:\n  request: 1.5s\n" + Backend), "spec.rules[0].timeouts.request", "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'");
        AssertRejected(HttpRule("timeouts:\n  backendRequest: 10\n" + Backend), "spec.rules[0].timeouts.backendRequest", "should match");
    }

    [Fact]
    public void Timeouts_backendRequest_cannot_be_longer_than_request()
    {
        AssertRejected(HttpRule("timeouts:\n  request: 1s\n  backendRequest: 1s1ms\n" + Backend), "spec.rules[0].timeouts",
            "backendRequest timeout cannot be longer than request timeout");
    }

    [Fact]
    public void Timeouts_backendRequest_may_exceed_request_when_request_is_0s()
    {
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRule("timeouts:\n  request: 0s\n  backendRequest: 1h30m\n" + Backend));
    }

    [Fact]
    public void Retry_codes_are_400_to_599()
    {
        AssertRejected(HttpRule("retry:\n  codes: [399]\n" + Backend), "spec.rules[0].retry.codes[0]", "should be greater than or equal to 400");
        AssertRejected(HttpRule("retry:\n  codes: [600]\n" + Backend), "spec.rules[0].retry.codes[0]", "should be less than or equal to 599");
    }

    [Fact]
    public void Retry_codes_are_unique()
    {
        AssertRejected(HttpRule("retry:\n  codes: [500, 500]\n" + Backend), "spec.rules[0].retry.codes[1]", "Duplicate value: 500");
    }

    [Fact]
    public void Retry_attempts_at_least_1_and_backoff_is_a_Duration()
    {
        AssertRejected(HttpRule("retry:\n  attempts: 0\n" + Backend), "spec.rules[0].retry.attempts", "should be greater than or equal to 1");
        AssertRejected(HttpRule("retry:\n  backoff: soon\n" + Backend), "spec.rules[0].retry.backoff", "should match");
    }

    [Fact]
    public void Valid_route_with_every_feature_loads()
    {
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRoute("""
              hostnames: ["*.example.com", echo]
              rules:
              - name: main
                matches:
                - path: {type: PathPrefix, value: /api}
                  headers: [{name: version, value: one}]
                  queryParams: [{name: q, value: "x y"}]
                  method: GET
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier:
                    set: [{name: X-Set, value: a}]
                    add: [{name: X-Add, value: b}]
                    remove: [X-Remove]
                - type: URLRewrite
                  urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
                - type: RequestMirror
                  requestMirror: {backendRef: {name: echo-v2, port: 80}, percent: 50}
                - type: CORS
                  cors: {allowOrigins: ["*"], allowMethods: [GET, POST], maxAge: 10}
                backendRefs:
                - name: echo-v1
                  port: 8080
                  weight: 0
                timeouts: {request: 10s, backendRequest: 2s}
                retry: {codes: [500, 503], attempts: 2, backoff: 100ms}
            """));
    }
}
