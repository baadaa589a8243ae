using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>HTTPRoute filter rules (gamma-spec G2, G4, G8, L), rule-level and backend-level.</summary>
public sealed class FilterValidationTests
{
    private const string Backend = "backendRefs:\n- name: echo-v1\n  port: 8080\n";

    private static string Filters(string filters, string rest = Backend) => HttpRule("filters:\n" + filters + "\n" + rest);

    [Theory]
    [InlineData("CORS", "cors")]
    [InlineData("RequestHeaderModifier", "requestHeaderModifier")]
    [InlineData("ResponseHeaderModifier", "responseHeaderModifier")]
    [InlineData("RequestMirror", "requestMirror")]
    [InlineData("RequestRedirect", "requestRedirect")]
    [InlineData("URLRewrite", "urlRewrite")]
    [InlineData("ExtensionRef", "extensionRef")]
    [InlineData("ExternalAuth", "externalAuth")]
    public void Filter_sub_struct_must_be_specified_for_its_type(string type, string field)
    {
        AssertRejected(Filters($"- type: {type}", ""), "spec.rules[0].filters[0]", $"filter.{field} must be specified for {type} filter.type");
    }

    [Theory]
    [InlineData("cors: {allowOrigins: [\"*\"]}", "filter.cors must be nil if the filter.type is not CORS")]
    [InlineData("responseHeaderModifier: {set: [{name: a, value: b}]}", "filter.responseHeaderModifier must be nil if the filter.type is not ResponseHeaderModifier")]
    [InlineData("urlRewrite: {hostname: example.org}", "filter.urlRewrite must be nil if the filter.type is not URLRewrite")]
    [InlineData("requestMirror: {backendRef: {name: m, port: 80}}", "filter.requestMirror must be nil if the filter.type is not RequestMirror")]
    [InlineData("extensionRef: {group: example.com, kind: Filter, name: f}", "filter.extensionRef must be nil if the filter.type is not ExtensionRef")]
    public void Filter_sub_struct_must_be_nil_for_another_type(string extra, string message)
    {
        AssertRejected(Filters($"- type: RequestHeaderModifier\n  requestHeaderModifier: {{set: [{{name: a, value: b}}]}}\n  {extra}"), "spec.rules[0].filters[0]", message);
    }

    [Fact]
    public void Filter_type_is_an_enum()
    {
        AssertRejected(Filters("- type: Rewrite"), "spec.rules[0].filters[0].type", "Unsupported value: \"Rewrite\"");
    }

    [Theory]
    [InlineData("CORS", "cors: {allowOrigins: [\"*\"]}")]
    [InlineData("RequestHeaderModifier", "requestHeaderModifier: {set: [{name: a, value: b}]}")]
    [InlineData("ResponseHeaderModifier", "responseHeaderModifier: {set: [{name: a, value: b}]}")]
    [InlineData("URLRewrite", "urlRewrite: {hostname: example.org}")]
    public void Filter_cannot_be_repeated(string type, string body)
    {
        AssertRejected(Filters($"- type: {type}\n  {body}\n- type: {type}\n  {body}"), "spec.rules[0].filters", $"{type} filter cannot be repeated");
    }

    [Fact]
    public void RequestRedirect_filter_cannot_be_repeated()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {port: 8080}\n- type: RequestRedirect\n  requestRedirect: {port: 8081}", ""),
            "spec.rules[0].filters", "RequestRedirect filter cannot be repeated");
    }

    [Fact]
    public void RequestRedirect_and_URLRewrite_are_mutually_exclusive()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {port: 8080}\n- type: URLRewrite\n  urlRewrite: {hostname: a.b}", ""),
            "spec.rules[0].filters", "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both");
    }

    [Fact]
    public void RequestRedirect_filter_must_not_be_used_together_with_backendRefs()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {hostname: example.org}"), "spec.rules[0]",
            "RequestRedirect filter must not be used together with backendRefs");
    }

    [Fact]
    public void RequestRedirect_ReplacePrefixMatch_needs_exactly_one_PathPrefix_match()
    {
        var rule = "matches:\n- path: {type: Exact, value: /a}\nfilters:\n- type: RequestRedirect\n  requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}";
        AssertRejected(HttpRule(rule), "spec.rules[0]", "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified");
    }

    [Fact]
    public void URLRewrite_ReplacePrefixMatch_needs_exactly_one_PathPrefix_match()
    {
        var rule = "matches:\n- path: {value: /a}\n- path: {value: /c}\nfilters:\n- type: URLRewrite\n  urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}\n" + Backend;
        AssertRejected(HttpRule(rule), "spec.rules[0]", "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified");
    }

    [Fact]
    public void ReplacePrefixMatch_with_the_default_match_is_accepted()
    {
        LoadOne<Weft.Api.Model.HttpRoute>(HttpRule("filters:\n- type: URLRewrite\n  urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}\n" + Backend));
    }

    [Fact]
    public void Backend_level_RequestRedirect_ReplacePrefixMatch_needs_exactly_one_PathPrefix_match()
    {
        var rule = "matches:\n- path: {type: Exact, value: /a}\nbackendRefs:\n- name: echo-v1\n  port: 80\n  filters:\n  - type: RequestRedirect\n    requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}";
        AssertRejected(HttpRule(rule), "spec.rules[0]", "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified");
    }

    [Fact]
    public void Backend_level_URLRewrite_ReplacePrefixMatch_needs_exactly_one_PathPrefix_match()
    {
        var rule = "matches:\n- path: {type: Exact, value: /a}\nbackendRefs:\n- name: echo-v1\n  port: 80\n  filters:\n  - type: URLRewrite\n    urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}";
        AssertRejected(HttpRule(rule), "spec.rules[0]", "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified");
    }

    [Fact]
    public void Backend_level_filters_follow_the_same_rules()
    {
        AssertRejected(HttpRule("backendRefs:\n- name: echo-v1\n  port: 80\n  filters:\n  - type: RequestHeaderModifier"),
            "spec.rules[0].backendRefs[0].filters[0]", "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type");
    }

    [Theory]
    [InlineData("{type: ReplaceFullPath}", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'")]
    [InlineData("{type: ReplacePrefixMatch, replaceFullPath: /x}", "type must be 'ReplaceFullPath' when replaceFullPath is set")]
    [InlineData("{type: ReplacePrefixMatch}", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'")]
    [InlineData("{type: ReplaceFullPath, replaceFullPath: /x, replacePrefixMatch: /y}", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set")]
    public void Path_modifier_type_and_field_must_agree(string modifier, string message)
    {
        AssertRejected(Filters($"- type: URLRewrite\n  urlRewrite: {{path: {modifier}}}"), "spec.rules[0].filters[0].urlRewrite.path", message);
    }

    [Fact]
    public void Redirect_scheme_is_http_or_https()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {scheme: ftp}", ""), "spec.rules[0].filters[0].requestRedirect.scheme",
            "Unsupported value: \"ftp\": supported values: \"http\", \"https\"");
    }

    [Fact]
    public void Redirect_statusCode_is_301_302_303_307_or_308()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {statusCode: 304}", ""), "spec.rules[0].filters[0].requestRedirect.statusCode",
            "Unsupported value: 304: supported values: 301, 302, 303, 307, 308");
    }

    [Fact]
    public void Redirect_port_is_1_to_65535_and_hostname_precise()
    {
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {port: 70000}", ""), "spec.rules[0].filters[0].requestRedirect.port", "less than or equal to 65535");
        AssertRejected(Filters("- type: RequestRedirect\n  requestRedirect: {hostname: \"*.example.org\"}", ""), "spec.rules[0].filters[0].requestRedirect.hostname", "should match");
    }

    [Fact]
    public void Header_modifier_at_most_16_set_entries()
    {
        var set = string.Join(", ", Enumerable.Range(0, 17).Select(i => $"{{name: h{i}, value: v}}"));
        AssertRejected(Filters($"- type: RequestHeaderModifier\n  requestHeaderModifier: {{set: [{set}]}}"), "spec.rules[0].filters[0].requestHeaderModifier.set", "Too many: 17");
    }

    [Fact]
    public void Header_modifier_names_unique_in_set()
    {
        AssertRejected(Filters("- type: ResponseHeaderModifier\n  responseHeaderModifier: {add: [{name: a, value: b}, {name: a, value: c}]}"),
            "spec.rules[0].filters[0].responseHeaderModifier.add[1]", "Duplicate value: map[string]interface {}{\"name\":\"a\"}");
    }

    [Fact]
    public void Header_modifier_one_action_per_header_name()
    {
        AssertRejected(Filters("- type: RequestHeaderModifier\n  requestHeaderModifier: {set: [{name: X-A, value: b}], remove: [x-a]}"),
            "spec.rules[0].filters[0].requestHeaderModifier", "only one action per header name is allowed");
    }

    [Fact]
    public void Header_modifier_value_is_1_to_4096_characters()
    {
        AssertRejected(Filters($"- type: RequestHeaderModifier\n  requestHeaderModifier: {{set: [{{name: a, value: {new string('v', 4097)}}}]}}"),
            "spec.rules[0].filters[0].requestHeaderModifier.set[0].value", "Too long: may not be more than 4096 bytes");
        AssertRejected(Filters("- type: RequestHeaderModifier\n  requestHeaderModifier: {set: [{name: a, value: \"\"}]}"),
            "spec.rules[0].filters[0].requestHeaderModifier.set[0].value", "should be at least 1 chars long");
    }

    [Fact]
    public void Mirror_only_one_of_percent_or_fraction()
    {
        AssertRejected(Filters("- type: RequestMirror\n  requestMirror: {backendRef: {name: m, port: 80}, percent: 5, fraction: {numerator: 1}}"),
            "spec.rules[0].filters[0].requestMirror", "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter");
    }

    [Fact]
    public void Mirror_fraction_numerator_at_most_denominator()
    {
        AssertRejected(Filters("- type: RequestMirror\n  requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 5, denominator: 4}}"),
            "spec.rules[0].filters[0].requestMirror.fraction", "numerator must be less than or equal to denominator");
    }

    [Fact]
    public void Mirror_backendRef_must_have_port_for_Service_reference()
    {
        AssertRejected(Filters("- type: RequestMirror\n  requestMirror: {backendRef: {name: m}}"),
            "spec.rules[0].filters[0].requestMirror.backendRef", "Must have port for Service reference");
    }

    [Fact]
    public void Mirror_percent_is_0_to_100()
    {
        AssertRejected(Filters("- type: RequestMirror\n  requestMirror: {backendRef: {name: m, port: 80}, percent: 101}"),
            "spec.rules[0].filters[0].requestMirror.percent", "less than or equal to 100");
    }

    [Fact]
    public void Cors_wildcard_origin_must_stand_alone()
    {
        AssertRejected(Filters("- type: CORS\n  cors: {allowOrigins: [\"*\", \"https://a.example\"]}"), "spec.rules[0].filters[0].cors.allowOrigins",
            "AllowOrigins cannot contain '*' alongside other origins");
    }

    [Fact]
    public void Cors_wildcard_method_and_header_must_stand_alone()
    {
        AssertRejected(Filters("- type: CORS\n  cors: {allowMethods: [\"*\", GET]}"), "spec.rules[0].filters[0].cors.allowMethods", "AllowMethods cannot contain '*' alongside other methods");
        AssertRejected(Filters("- type: CORS\n  cors: {allowHeaders: [\"*\", X-A]}"), "spec.rules[0].filters[0].cors.allowHeaders", "AllowHeaders cannot contain '*' alongside other methods");
    }

    [Fact]
    public void Cors_limits_origin_pattern_methods_enum_and_maxAge()
    {
        AssertRejected(Filters("- type: CORS\n  cors: {allowOrigins: [\"example.com\"]}"), "spec.rules[0].filters[0].cors.allowOrigins[0]", "should match");
        AssertRejected(Filters("- type: CORS\n  cors: {allowMethods: [FETCH]}"), "spec.rules[0].filters[0].cors.allowMethods[0]", "Unsupported value");
        AssertRejected(Filters("- type: CORS\n  cors: {maxAge: 0}"), "spec.rules[0].filters[0].cors.maxAge", "greater than or equal to 1");
        var origins = string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"https://o{i}.example\""));
        AssertRejected(Filters($"- type: CORS\n  cors: {{allowOrigins: [{origins}]}}"), "spec.rules[0].filters[0].cors.allowOrigins", "Too many: 65");
    }

    [Fact]
    public void Filters_at_most_16()
    {
        var filters = string.Concat(Enumerable.Range(0, 17).Select(i => $"- type: ExtensionRef\n  extensionRef: {{group: example.com, kind: F, name: f{i}}}\n"));
        AssertRejected(Filters(filters.TrimEnd()), "spec.rules[0].filters", "Too many: 17");
    }

    [Fact]
    public void ExternalAuth_protocol_is_HTTP_or_GRPC()
    {
        AssertRejected(Filters("- type: ExternalAuth\n  externalAuth: {protocol: TCP, backendRef: {name: auth, port: 80}}"),
            "spec.rules[0].filters[0].externalAuth.protocol", "Unsupported value: \"TCP\"");
    }
}
