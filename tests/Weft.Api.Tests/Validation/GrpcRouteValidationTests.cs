using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>GRPCRoute rules (gamma-spec K1).</summary>
public sealed class GrpcRouteValidationTests
{
    private static string Match(string method) => GrpcRoute($"  rules:\n  - matches:\n    - method: {method}\n    backendRefs:\n    - {{name: echo-v1, port: 7070}}");

    [Fact]
    public void Method_match_needs_service_or_method()
    {
        AssertRejected(Match("{type: Exact}"), "spec.rules[0].matches[0].method", "One or both of 'service' or 'method' must be specified");
    }

    [Fact]
    public void Exact_service_must_only_contain_valid_characters()
    {
        AssertRejected(Match("{service: \"grpc-echo.Echo\"}"), "spec.rules[0].matches[0].method",
            "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)");
    }

    [Fact]
    public void Exact_method_must_only_contain_valid_characters()
    {
        AssertRejected(Match("{method: \"Do/It\"}"), "spec.rules[0].matches[0].method", "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)");
    }

    [Fact]
    public void RegularExpression_method_match_skips_the_character_rules()
    {
        LoadOne<Weft.Api.Model.GrpcRoute>(Match("{type: RegularExpression, service: \"grpc.*\", method: \"Do.*\"}"));
    }

    [Fact]
    public void Method_match_type_is_Exact_or_RegularExpression()
    {
        AssertRejected(Match("{type: Prefix, service: a}"), "spec.rules[0].matches[0].method.type", "Unsupported value: \"Prefix\"");
    }

    [Fact]
    public void Service_and_method_at_most_1024_characters()
    {
        AssertRejected(Match($"{{service: {new string('a', 1025)}}}"), "spec.rules[0].matches[0].method.service", "Too long");
    }

    [Fact]
    public void Grpc_filter_type_is_an_enum_without_redirect_or_rewrite()
    {
        AssertRejected(GrpcRoute("  rules:\n  - filters:\n    - type: URLRewrite"), "spec.rules[0].filters[0].type",
            "supported values: \"ResponseHeaderModifier\", \"RequestHeaderModifier\", \"RequestMirror\", \"ExtensionRef\"");
    }

    [Fact]
    public void Grpc_RequestHeaderModifier_filter_cannot_be_repeated()
    {
        const string f = "    - type: RequestHeaderModifier\n      requestHeaderModifier: {set: [{name: a, value: b}]}\n";
        AssertRejected(GrpcRoute("  rules:\n  - filters:\n" + f + f), "spec.rules[0].filters", "RequestHeaderModifier filter cannot be repeated");
    }

    [Fact]
    public void Grpc_backendRef_must_have_port_for_Service_reference()
    {
        AssertRejected(GrpcRoute("  rules:\n  - backendRefs:\n    - name: echo-v1"), "spec.rules[0].backendRefs[0]", "Must have port for Service reference");
    }

    [Fact]
    public void Grpc_total_matches_at_most_128()
    {
        var rule = "\n  - matches:" + string.Concat(Enumerable.Range(0, 50).Select(i => $"\n    - method: {{method: M{i}}}"));
        AssertRejected(GrpcRoute("  rules:" + rule + rule + rule), "spec.rules", "the total number of matches across all rules in a route must be less than 128");
    }

    [Fact]
    public void Grpc_rule_names_unique()
    {
        AssertRejected(GrpcRoute("  rules:\n  - name: a\n  - name: a"), "spec.rules", "Rule name must be unique within the route");
    }

    [Fact]
    public void Grpc_header_match_names_unique()
    {
        AssertRejected(GrpcRoute("  rules:\n  - matches:\n    - headers: [{name: a, value: b}, {name: a, value: c}]"), "spec.rules[0].matches[0].headers[1]", "Duplicate value");
    }
}
