using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>TCPRoute (gamma-spec K2) and TLSRoute (K3).</summary>
public sealed class L4RouteValidationTests
{
    private static string Tcp(string version, string spec) => $"""
        apiVersion: gateway.networking.k8s.io/{version}
        kind: TCPRoute
        metadata:
          name: bad
          namespace: {Ns}
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: echo
            port: 9090
        {spec}
        """;

    private static string Tls(string version, string spec) => $"""
        apiVersion: gateway.networking.k8s.io/{version}
        kind: TLSRoute
        metadata:
          name: bad
          namespace: {Ns}
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: echo
            port: 443
        {spec}
        """;

    private const string OneRule = "  rules:\n  - backendRefs: [{name: echo-v1, port: 9090}]";
    private const string TwoRules = OneRule + "\n  - backendRefs: [{name: echo-v2, port: 9090}]";

    [Fact]
    public void TCPRoute_v1_has_exactly_one_rule()
    {
        LoadOne<Weft.Api.Model.TcpRoute>(Tcp("v1", OneRule));
        AssertRejected(Tcp("v1", TwoRules), "spec.rules", "Too many: 2: must have at most 1 items");
        AssertRejected(Tcp("v1", "  rules: []"), "spec.rules", "should have at least 1 items");
    }

    [Fact]
    public void TCPRoute_v1alpha2_allows_16_rules_with_unique_names()
    {
        LoadOne<Weft.Api.Model.TcpRoute>(Tcp("v1alpha2", TwoRules));
        AssertRejected(Tcp("v1alpha2", "  rules:\n  - name: a\n    backendRefs: [{name: x, port: 1}]\n  - name: a\n    backendRefs: [{name: y, port: 1}]"),
            "spec.rules", "Rule name must be unique within the route");
    }

    [Fact]
    public void L4_rule_needs_1_to_16_backendRefs_with_ports()
    {
        AssertRejected(Tcp("v1", "  rules:\n  - backendRefs: []"), "spec.rules[0].backendRefs", "should have at least 1 items");
        AssertRejected(Tcp("v1", "  rules:\n  - backendRefs: [{name: echo-v1}]"), "spec.rules[0].backendRefs[0]", "Must have port for Service reference");
    }

    [Fact]
    public void TLSRoute_hostnames_are_required()
    {
        AssertRejected(Tls("v1", OneRule), "spec.hostnames", "should have at least 1 items");
    }

    [Fact]
    public void TLSRoute_hostnames_cannot_contain_an_IP()
    {
        AssertRejected(Tls("v1", "  hostnames: [10.0.0.1]\n" + OneRule), "spec.hostnames", "Hostnames cannot contain an IP");
    }

    [Fact]
    public void TLSRoute_wildcards_must_be_the_first_label()
    {
        AssertRejected(Tls("v1", "  hostnames: [\"foo.*.example.com\"]\n" + OneRule), "spec.hostnames",
            "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123");
    }

    [Fact]
    public void TLSRoute_hostnames_must_be_valid_RFC1123()
    {
        AssertRejected(Tls("v1", "  hostnames: [Foo_bar]\n" + OneRule), "spec.hostnames", "Hostnames must be valid based on RFC-1123");
    }

    [Fact]
    public void TLSRoute_v1_with_wildcard_hostname_and_one_rule_loads()
    {
        LoadOne<Weft.Api.Model.TlsRoute>(Tls("v1", "  hostnames: [\"*.example.com\"]\n" + OneRule));
        AssertRejected(Tls("v1", "  hostnames: [a.example.com]\n" + TwoRules), "spec.rules", "Too many: 2");
    }
}
