using Weft.Api.Model;
using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>AuthorizationPolicy (policy.weft.dev/v1alpha1, issue 14): the CRD's schema and CEL rules, through the real loader.</summary>
public sealed class AuthorizationPolicyValidationTests
{
    private const string PodTarget = "  - {group: \"\", kind: Pod, selector: {matchLabels: {app: cart}}}";

    /// <summary>A policy with the given targetRefs items and rules (each a block of YAML indented by 2).</summary>
    private static string Policy(string targetRefs = PodTarget, string? rules = null, string action = "ALLOW") => $"""
        apiVersion: policy.weft.dev/v1alpha1
        kind: AuthorizationPolicy
        metadata:
          name: cart-allow-client
          namespace: shop
        spec:
          action: {action}
          targetRefs:
        {targetRefs}
        {(rules is null ? "" : "  rules:\n" + rules)}
        """;

    private static string Rule(string body) => "  - " + Indent(body, 4);

    [Fact]
    public void The_issue_s_example_loads_with_every_field_mapped()
    {
        var policy = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("""
            sources:
            - {type: ServiceAccount, serviceAccount: {namespace: shop, name: client}}
            - {type: SPIFFE, spiffe: "spiffe://cluster.local/ns/ops/sa/probe"}
            networkAttributes: {ports: [8080]}
            http:
              methods: [POST]
              paths: [{type: PathPrefix, value: /orders}]
              headers: [{name: x-tenant, value: blue}]
            grpc: {service: shop.Cart, method: Checkout}
            """)));

        Assert.Equal(WeftPolicyApi.ApiVersion, policy.ApiVersion);
        Assert.Equal(("shop", "cart-allow-client"), (policy.Namespace, policy.Name));
        Assert.Equal(AuthorizationAction.Allow, policy.Spec.Action);
        var target = Assert.Single(policy.Spec.TargetRefs);
        Assert.Equal(("", "Pod", "cart"), (target.Group, target.Kind, target.Selector!.MatchLabels["app"]));
        var rule = Assert.Single(policy.Spec.Rules);
        Assert.Equal(2, rule.Sources!.Count);
        Assert.Equal(("shop", "client"), (rule.Sources[0].ServiceAccount!.Namespace, rule.Sources[0].ServiceAccount!.Name));
        Assert.Equal("spiffe://cluster.local/ns/ops/sa/probe", rule.Sources[1].Spiffe);
        Assert.Equal([8080], rule.NetworkAttributes!.Ports);
        Assert.Equal(["POST"], rule.Http!.Methods);
        Assert.Equal((PathMatchType.PathPrefix, "/orders"), (rule.Http.Paths[0].Type, rule.Http.Paths[0].Value));
        Assert.Equal((HeaderMatchType.Exact, "x-tenant", "blue"), (rule.Http.Headers[0].Type, rule.Http.Headers[0].Name, rule.Http.Headers[0].Value));
        Assert.Equal(("shop.Cart", "Checkout"), (rule.Grpc!.Service, rule.Grpc.Method));
    }

    [Fact]
    public void Omitted_sources_are_any_and_an_empty_list_is_none()
    {
        var policy = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("networkAttributes: {ports: [80]}") + "\n" + Rule("sources: []")));
        Assert.Null(policy.Spec.Rules[0].Sources);
        Assert.Empty(policy.Spec.Rules[1].Sources!);
    }

    [Fact]
    public void A_policy_without_rules_loads_with_none()
    {
        Assert.Empty(LoadOne<AuthorizationPolicy>(Policy(action: "DENY")).Spec.Rules);
    }

    [Fact]
    public void An_empty_pod_selector_loads_as_every_pod_of_the_namespace()
    {
        var target = Assert.Single(LoadOne<AuthorizationPolicy>(Policy("  - {group: \"\", kind: Pod, selector: {}}")).Spec.TargetRefs);
        Assert.Empty(target.Selector!.MatchLabels);
        Assert.Empty(target.Selector.MatchExpressions);
    }

    [Fact]
    public void Service_and_route_targets_load_with_a_rule_name()
    {
        var policy = LoadOne<AuthorizationPolicy>(Policy("""
              - {group: "", kind: Service, name: cart}
              - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: cart-route, sectionName: orders}
              - {group: gateway.networking.k8s.io, kind: GRPCRoute, name: cart-grpc}
            """));
        Assert.Equal(["Service", "HTTPRoute", "GRPCRoute"], policy.Spec.TargetRefs.Select(t => t.Kind));
        Assert.Equal("orders", policy.Spec.TargetRefs[1].SectionName);
    }

    [Fact]
    public void Action_is_ALLOW_or_DENY()
    {
        AssertRejected(Policy(action: "AUDIT"), "spec.action", "Unsupported value: \"AUDIT\": supported values: \"ALLOW\", \"DENY\"");
    }

    [Fact]
    public void Action_is_required()
    {
        AssertRejected(Policy().Replace("  action: ALLOW\n", "", StringComparison.Ordinal), "spec.action", "Required value");
    }

    [Fact]
    public void TargetRefs_at_least_one()
    {
        AssertRejected(Policy("  []").Replace("targetRefs:\n  []", "targetRefs: []", StringComparison.Ordinal), "spec.targetRefs", "should have at least 1 items");
    }

    [Fact]
    public void TargetRefs_at_most_16()
    {
        AssertRejected(Policy(string.Join("\n", Enumerable.Repeat(PodTarget, 17))), "spec.targetRefs", "must have at most 16 items");
    }

    [Fact]
    public void Target_kind_is_Pod_Service_HTTPRoute_or_GRPCRoute()
    {
        AssertRejected(Policy("  - {group: apps, kind: Deployment, name: cart}"), "spec.targetRefs[0].kind",
            "supported values: \"Pod\", \"Service\", \"HTTPRoute\", \"GRPCRoute\"");
    }

    [Theory]
    [InlineData("{group: gateway.networking.k8s.io, kind: Service, name: cart}")]
    [InlineData("{group: core, kind: Pod, selector: {}}")]
    [InlineData("{group: \"\", kind: HTTPRoute, name: cart}")]
    [InlineData("{group: gateway.networking.x-k8s.io, kind: GRPCRoute, name: cart}")]
    public void Target_group_is_core_for_Pod_and_Service_and_gateway_api_for_routes(string target)
    {
        AssertRejected(Policy("  - " + target), "spec.targetRefs[0]", "group must be '' for Pod and Service, and gateway.networking.k8s.io for HTTPRoute and GRPCRoute");
    }

    [Fact]
    public void Target_group_is_required()
    {
        AssertRejected(Policy("  - {kind: Service, name: cart}"), "spec.targetRefs[0].group", "Required value");
    }

    [Fact]
    public void A_Pod_target_needs_a_selector()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod}"), "spec.targetRefs[0]", "a Pod target needs a selector");
    }

    [Fact]
    public void A_Pod_target_has_no_name()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod, name: cart-0, selector: {}}"), "spec.targetRefs[0]", "a Pod target has no name");
    }

    [Theory]
    [InlineData("{group: \"\", kind: Service}")]
    [InlineData("{group: gateway.networking.k8s.io, kind: HTTPRoute}")]
    public void A_Service_or_route_target_needs_a_name(string target)
    {
        AssertRejected(Policy("  - " + target), "spec.targetRefs[0]", "a Service, HTTPRoute or GRPCRoute target needs a name");
    }

    [Fact]
    public void Only_a_Pod_target_has_a_selector()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Service, name: cart, selector: {}}"), "spec.targetRefs[0]", "only a Pod target has a selector");
    }

    [Fact]
    public void SectionName_is_only_for_route_targets()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Service, name: cart, sectionName: http}"), "spec.targetRefs[0]", "sectionName is only for HTTPRoute and GRPCRoute targets");
    }

    [Fact]
    public void A_target_has_no_namespace_field_so_a_policy_never_reaches_across_namespaces()
    {
        var problem = AssertRejected(Policy("  - {group: \"\", kind: Service, name: cart, namespace: other}"), "spec.targetRefs[0].namespace",
            "strict decoding error: unknown field \"spec.targetRefs[0].namespace\"");
        Assert.Equal("a policy applies in its own namespace only: remove namespace, and create the policy in the target's namespace", problem.Hint);
    }

    [Fact]
    public void Unknown_fields_are_rejected_with_the_nearest_known_one()
    {
        var problem = AssertRejected(Policy(rules: Rule("source: []")), "spec.rules[0].source", "strict decoding error: unknown field");
        Assert.Contains("did you mean sources?", problem.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_at_most_64()
    {
        AssertRejected(Policy(rules: string.Join("\n", Enumerable.Repeat(Rule("sources: []"), 65))), "spec.rules", "must have at most 64 items");
    }

    [Fact]
    public void Source_type_is_ServiceAccount_or_SPIFFE()
    {
        AssertRejected(Policy(rules: Rule("sources: [{type: IP, spiffe: \"spiffe://a/b\"}]")), "spec.rules[0].sources[0].type",
            "supported values: \"ServiceAccount\", \"SPIFFE\"");
    }

    [Fact]
    public void A_ServiceAccount_source_needs_serviceAccount_and_no_spiffe()
    {
        AssertRejected(Policy(rules: Rule("sources: [{type: ServiceAccount, spiffe: \"spiffe://cluster.local/ns/a/sa/b\"}]")), "spec.rules[0].sources[0]",
            "serviceAccount must be set when type is ServiceAccount, and only then");
        AssertRejected(Policy(rules: Rule("sources: [{type: ServiceAccount, spiffe: \"spiffe://cluster.local/ns/a/sa/b\"}]")), "spec.rules[0].sources[0]",
            "spiffe must be set when type is SPIFFE, and only then");
    }

    [Fact]
    public void A_SPIFFE_source_needs_spiffe_and_no_serviceAccount()
    {
        AssertRejected(Policy(rules: Rule("sources: [{type: SPIFFE, serviceAccount: {namespace: a, name: b}}]")), "spec.rules[0].sources[0]",
            "spiffe must be set when type is SPIFFE, and only then");
    }

    [Fact]
    public void ServiceAccount_namespace_is_a_DNS_label()
    {
        AssertRejected(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {namespace: Shop_1, name: client}}]")),
            "spec.rules[0].sources[0].serviceAccount.namespace", "should match");
    }

    [Fact]
    public void ServiceAccount_name_is_a_DNS_name_or_star()
    {
        AssertRejected(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {namespace: shop, name: Client}}]")),
            "spec.rules[0].sources[0].serviceAccount.name", "should match");
        var policy = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {namespace: shop, name: \"*\"}}]")));
        Assert.Equal("*", policy.Spec.Rules[0].Sources![0].ServiceAccount!.Name);
    }

    [Fact]
    public void ServiceAccount_needs_a_name_and_without_a_namespace_is_the_policy_s_namespace()
    {
        // GEP-3779: "If not specified, current namespace (the namespace of the policy) is used."
        var policy = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {name: client}}]")));
        Assert.Equal(new AuthorizationServiceAccount { Namespace = "shop", Name = "client" }, policy.Spec.Rules[0].Sources![0].ServiceAccount);
        var elsewhere = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {namespace: ops, name: \"*\"}}]")));
        Assert.Equal(new AuthorizationServiceAccount { Namespace = "ops", Name = "*" }, elsewhere.Spec.Rules[0].Sources![0].ServiceAccount);
        var inDefault = LoadOne<AuthorizationPolicy>(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {name: client}}]")).Replace("  namespace: shop\n", "", StringComparison.Ordinal));
        Assert.Equal("default", inDefault.Spec.Rules[0].Sources![0].ServiceAccount!.Namespace);

        AssertRejected(Policy(rules: Rule("sources: [{type: ServiceAccount, serviceAccount: {namespace: shop}}]")),
            "spec.rules[0].sources[0].serviceAccount.name", "Required value");
    }

    [Theory]
    [InlineData("https://cluster.local/ns/a/sa/b")]
    [InlineData("spiffe://")]
    [InlineData("spiffe://Cluster.Local/ns/a")]
    [InlineData("spiffe://cluster.local/ns//sa/b")]
    [InlineData("spiffe://cluster.local/ns/a/")]
    [InlineData("spiffe://cluster.local/ns/../sa/b")]
    [InlineData("spiffe://cluster.local/ns/a b")]
    public void Spiffe_is_a_valid_SPIFFE_ID(string id)
    {
        AssertRejected(Policy(rules: Rule($"sources: [{{type: SPIFFE, spiffe: \"{id}\"}}]")), "spec.rules[0].sources[0].spiffe", "must be a SPIFFE ID");
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/ops/sa/probe")]
    [InlineData("spiffe://example.org")]
    [InlineData("spiffe://td_1.example-2.org/a.b/c-d/E_F")]
    public void Valid_SPIFFE_IDs_load(string id)
    {
        LoadOne<AuthorizationPolicy>(Policy(rules: Rule($"sources: [{{type: SPIFFE, spiffe: \"{id}\"}}]")));
    }

    [Theory]
    [InlineData(0, "greater than or equal to 1")]
    [InlineData(65536, "less than or equal to 65535")]
    public void Ports_are_1_to_65535(int port, string message)
    {
        AssertRejected(Policy(rules: Rule($"networkAttributes: {{ports: [{port}]}}")), "spec.rules[0].networkAttributes.ports[0]", message);
    }

    [Fact]
    public void Methods_are_the_HTTPRoute_method_enum()
    {
        AssertRejected(Policy(rules: Rule("http: {methods: [GET, post]}")), "spec.rules[0].http.methods[1]",
            "Unsupported value: \"post\": supported values: \"GET\", \"HEAD\", \"POST\"");
    }

    [Fact]
    public void PathPrefix_and_Exact_paths_start_with_a_slash()
    {
        AssertRejected(Policy(rules: Rule("http: {paths: [{type: Exact, value: orders}]}")), "spec.rules[0].http.paths[0]",
            "value must be an absolute path and start with '/'");
    }

    [Fact]
    public void Path_type_is_Exact_PathPrefix_or_RegularExpression()
    {
        AssertRejected(Policy(rules: Rule("http: {paths: [{type: Glob, value: /a}]}")), "spec.rules[0].http.paths[0].type", "Unsupported value: \"Glob\"");
    }

    [Fact]
    public void A_RegularExpression_path_compiles()
    {
        AssertRejected(Policy(rules: Rule("http: {paths: [{type: RegularExpression, value: \"/orders/(\"}]}")), "spec.rules[0].http.paths[0].value",
            "not a valid regular expression");
        LoadOne<AuthorizationPolicy>(Policy(rules: Rule("http: {paths: [{type: RegularExpression, value: \"/orders/[0-9]+\"}]}")));
    }

    [Fact]
    public void Header_matches_are_HTTPRoute_header_matches()
    {
        AssertRejected(Policy(rules: Rule("http: {headers: [{name: \"x tenant\", value: blue}]}")), "spec.rules[0].http.headers[0].name", "should match");
        AssertRejected(Policy(rules: Rule("http: {headers: [{name: x-a, value: a}, {name: x-a, value: b}]}")), "spec.rules[0].http.headers[1]", "Duplicate value");
        AssertRejected(Policy(rules: Rule("http: {headers: [{name: x-a, type: RegularExpression, value: \"[\"}]}")), "spec.rules[0].http.headers[0].value",
            "not a valid regular expression");
    }

    [Fact]
    public void Grpc_needs_service_or_method()
    {
        AssertRejected(Policy(rules: Rule("grpc: {}")), "spec.rules[0].grpc", "One or both of 'service' or 'method' must be specified");
    }

    [Fact]
    public void Grpc_service_and_method_are_valid_names()
    {
        AssertRejected(Policy(rules: Rule("grpc: {service: \"shop/Cart\"}")), "spec.rules[0].grpc", "service must only contain valid characters");
        AssertRejected(Policy(rules: Rule("grpc: {method: \"Check.out\"}")), "spec.rules[0].grpc", "method must only contain valid characters");
    }

    [Fact]
    public void Selector_operator_is_In_NotIn_Exists_or_DoesNotExist()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod, selector: {matchExpressions: [{key: app, operator: Equals, values: [a]}]}}"),
            "spec.targetRefs[0].selector.matchExpressions[0].operator", "supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
    }

    [Fact]
    public void In_and_NotIn_need_values()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod, selector: {matchExpressions: [{key: app, operator: NotIn}]}}"),
            "spec.targetRefs[0].selector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'");
    }

    [Fact]
    public void Exists_and_DoesNotExist_take_no_values()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod, selector: {matchExpressions: [{key: app, operator: Exists, values: [a]}]}}"),
            "spec.targetRefs[0].selector.matchExpressions[0].values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        var policy = LoadOne<AuthorizationPolicy>(Policy("  - {group: \"\", kind: Pod, selector: {matchExpressions: [{key: app.kubernetes.io/name, operator: Exists}]}}"));
        Assert.Equal("Exists", policy.Spec.TargetRefs[0].Selector!.MatchExpressions[0].Operator);
    }

    [Fact]
    public void Selector_label_keys_and_values_are_label_syntax()
    {
        AssertRejected(Policy("  - {group: \"\", kind: Pod, selector: {matchLabels: {\"-app\": cart}}}"), "spec.targetRefs[0].selector.matchLabels", "name part must consist");
        AssertRejected(Policy("  - {group: \"\", kind: Pod, selector: {matchLabels: {app: \"cart!\"}}}"), "spec.targetRefs[0].selector.matchLabels", "a valid label must be");
    }
}
