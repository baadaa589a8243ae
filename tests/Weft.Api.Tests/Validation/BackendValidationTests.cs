using Weft.Api.Model;
using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>
/// XBackend, BackendTLSPolicy and XBackendTrafficPolicy (Gateway API v1.6.1 experimental, issue 17): the CRDs'
/// schemas, defaults and CEL rules, through the real loader, with the API server's words.
/// </summary>
public sealed class BackendValidationTests
{
    private static string XBackend(string spec) => $"""
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackend
        metadata: {"{"}name: api, namespace: egress{"}"}
        spec:
        {Indent(spec, 2).Insert(0, "  ")}
        """;

    private const string ExternalApi = """
        type: ExternalHostname
        externalHostname: {hostname: api.example.com}
        port: {port: 443}

        """;

    private static string TlsPolicy(string spec, string apiVersion = "gateway.networking.k8s.io/v1") => $"""
        apiVersion: {apiVersion}
        kind: BackendTLSPolicy
        metadata: {"{"}name: api-tls, namespace: egress{"}"}
        spec:
        {Indent(spec, 2).Insert(0, "  ")}
        """;

    private const string ServiceTarget = "targetRefs: [{group: \"\", kind: Service, name: payments}]";

    private static string TrafficPolicy(string spec) => $"""
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackendTrafficPolicy
        metadata: {"{"}name: payments, namespace: egress{"}"}
        spec:
        {Indent(spec, 2).Insert(0, "  ")}
        """;

    [Fact]
    public void An_XBackend_loads_with_every_field_mapped()
    {
        var backend = LoadOne<XBackend>(XBackend(ExternalApi + """
            protocol: HTTP2
            tls:
              mode: ServerOnly
              validation:
                hostname: api.example.com
                caCertificateRefs: [{group: "", kind: ConfigMap, name: example-ca}]
                subjectAltNames: [{type: URI, uri: "spiffe://example.com/api"}]
            """));

        Assert.Equal(("egress", "api", XBackendType.ExternalHostname), (backend.Namespace, backend.Name, backend.Spec.Type));
        Assert.Equal(("api.example.com", 443, XBackendProtocol.Http2), (backend.Spec.ExternalHostname, backend.Spec.Port.Port, backend.Spec.Protocol));
        var tls = backend.Spec.Tls!;
        Assert.Equal(XBackendTlsMode.ServerOnly, tls.Mode);
        Assert.Equal("api.example.com", tls.Validation!.Hostname);
        Assert.Equal(("", "ConfigMap", "example-ca"), (tls.Validation.CaCertificateRefs[0].Group, tls.Validation.CaCertificateRefs[0].Kind, tls.Validation.CaCertificateRefs[0].Name));
        Assert.Equal((SubjectAltNameType.Uri, "spiffe://example.com/api"), (tls.Validation.SubjectAltNames[0].Type, tls.Validation.SubjectAltNames[0].Uri));
    }

    [Fact]
    public void An_XBackend_hostname_ending_in_cluster_local_is_refused()
    {
        AssertRejected(XBackend(ExternalApi.Replace("api.example.com", "payments.shop.svc.cluster.local", StringComparison.Ordinal)),
            "spec.externalHostname.hostname", "hostname must not be an IP address or end with .cluster.local");
    }

    [Fact]
    public void An_XBackend_hostname_that_is_an_IPv4_address_passes_the_schema_as_the_API_server_lets_it()
    {
        // The CRD's message says no IP, but its rule checks only .cluster.local: the API server stores this one.
        Assert.Equal("203.0.113.7", LoadOne<XBackend>(XBackend(ExternalApi.Replace("api.example.com", "203.0.113.7", StringComparison.Ordinal))).Spec.ExternalHostname);
    }

    [Theory]
    [InlineData("type: ExternalHostname\nport: {port: 443}", "add externalHostname")]
    public void ExternalHostname_is_set_exactly_when_the_type_is_ExternalHostname(string spec, string hint)
    {
        var problem = AssertRejected(XBackend(spec), "spec", "externalHostname must be set when type is ExternalHostname and must be unset otherwise");
        Assert.Contains(hint, problem.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port: {port: 0}", "spec.port.port", "should be greater than or equal to 1")]
    [InlineData("port: {port: 65536}", "spec.port.port", "should be less than or equal to 65535")]
    [InlineData("port: {port: 443, name: Https}", "spec.port.name", "Name must be a valid DNS label")]
    [InlineData("protocol: HTTP3", "spec.protocol", "supported values: \"TCP\", \"HTTP\", \"HTTP2\", \"HTTP11\", \"H2C\", \"MCP\"")]
    [InlineData("type: Service", "spec.type", "supported values: \"ExternalHostname\"")]
    public void XBackend_fields_follow_the_schema(string replacement, string path, string message)
    {
        var key = replacement[..replacement.IndexOf(':', StringComparison.Ordinal)];
        var lines = ExternalApi.Split('\n').Where(l => !l.StartsWith(key + ":", StringComparison.Ordinal)).Append(replacement);
        AssertRejected(XBackend(string.Join('\n', lines)), path, message);
    }

    [Theory]
    [InlineData("tls: {mode: ClientAndServer}")]
    [InlineData("tls: {mode: ServerOnly, clientCertificateRef: {name: client-cert}}")]
    public void ClientCertificateRef_is_set_exactly_when_the_mode_is_ClientAndServer(string tls)
    {
        AssertRejected(XBackend(ExternalApi + tls), "spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer");
    }

    [Fact]
    public void ClientAndServer_with_a_client_certificate_loads_with_the_reference_defaults()
    {
        var client = LoadOne<XBackend>(XBackend(ExternalApi + "tls: {mode: ClientAndServer, clientCertificateRef: {name: client-cert}}")).Spec.Tls!.ClientCertificateRef!;

        Assert.Equal(("", "Secret", "client-cert", null), (client.Group, client.Kind, client.Name, client.Namespace));
    }

    [Theory]
    [InlineData("{hostname: api.example.com}", "must specify either CACertificateRefs or WellKnownCACertificates")]
    [InlineData("{hostname: api.example.com, wellKnownCACertificates: System, caCertificateRefs: [{group: \"\", kind: ConfigMap, name: ca}]}", "must not contain both CACertificateRefs and WellKnownCACertificates")]
    public void Validation_names_exactly_one_source_of_roots(string validation, string message)
    {
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {validation}"), "spec.validation", message);
        AssertRejected(XBackend(ExternalApi + $"tls: {{mode: ServerOnly, validation: {validation}}}"), "spec.tls.validation", message);
    }

    [Fact]
    public void A_BackendTLSPolicy_loads_in_both_served_versions()
    {
        foreach (var version in new[] { "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1alpha3" })
        {
            var policy = LoadOne<BackendTlsPolicy>(TlsPolicy("""
                targetRefs: [{group: "", kind: Service, name: payments, sectionName: https}]
                validation: {hostname: payments.example.com, wellKnownCACertificates: System}
                options: {example.com/min-version: "1.3"}
                """, version));

            Assert.Equal(version, policy.ApiVersion);
            Assert.Equal(("Service", "payments", "https"), (policy.Spec.TargetRefs[0].Kind, policy.Spec.TargetRefs[0].Name, policy.Spec.TargetRefs[0].SectionName));
            Assert.Equal(("payments.example.com", "System"), (policy.Spec.Validation.Hostname, policy.Spec.Validation.WellKnownCaCertificates));
            Assert.Equal("1.3", policy.Spec.Options["example.com/min-version"]);
        }
    }

    [Fact]
    public void A_BackendTLSPolicy_needs_targets_and_validation()
    {
        AssertRejected(TlsPolicy("validation: {hostname: a.example.com, wellKnownCACertificates: System}"), "spec.targetRefs", "Required value");
        AssertRejected(TlsPolicy(ServiceTarget), "spec.validation", "Required value");
        AssertRejected(TlsPolicy("targetRefs: []\nvalidation: {hostname: a.example.com, wellKnownCACertificates: System}"), "spec.targetRefs", "should have at least 1 items");
    }

    [Theory]
    [InlineData("{type: Hostname}", "SubjectAltName element must contain Hostname, if Type is set to Hostname")]
    [InlineData("{type: URI, hostname: api.example.com, uri: \"spiffe://a/b\"}", "SubjectAltName element must not contain Hostname, if Type is not set to Hostname")]
    [InlineData("{type: URI}", "SubjectAltName element must contain URI, if Type is set to URI")]
    [InlineData("{type: Hostname, hostname: api.example.com, uri: \"spiffe://a/b\"}", "SubjectAltName element must not contain URI, if Type is not set to URI")]
    public void A_subject_alt_name_carries_the_field_of_its_type_and_no_other(string san, string message)
    {
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: api.example.com, wellKnownCACertificates: System, subjectAltNames: [{san}]}}"),
            "spec.validation.subjectAltNames[0]", message);
    }

    [Theory]
    [InlineData("[{group: \"\", kind: Service, name: payments}, {group: \"\", kind: Service, name: payments, sectionName: https}]",
        "sectionName must be specified when targetRefs includes 2 or more references to the same target")]
    [InlineData("[{group: \"\", kind: Service, name: payments, sectionName: https}, {group: \"\", kind: Service, name: payments, sectionName: https}]",
        "sectionName must be unique when targetRefs includes 2 or more references to the same target")]
    public void References_to_one_target_name_distinct_sections(string targets, string message)
    {
        AssertRejected(TlsPolicy($"targetRefs: {targets}\nvalidation: {{hostname: a.example.com, wellKnownCACertificates: System}}"), "spec.targetRefs", message);
    }

    [Fact]
    public void Two_sections_of_one_target_are_two_targets()
    {
        var policy = LoadOne<BackendTlsPolicy>(TlsPolicy("""
            targetRefs: [{group: "", kind: Service, name: payments, sectionName: https}, {group: "", kind: Service, name: payments, sectionName: admin}]
            validation: {hostname: a.example.com, wellKnownCACertificates: System}
            """));

        Assert.Equal(["https", "admin"], policy.Spec.TargetRefs.Select(t => t.SectionName));
    }

    [Fact]
    public void At_most_16_options()
    {
        var options = string.Join(", ", Enumerable.Range(0, 17).Select(i => $"example.com/o{i}: v"));
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: a.example.com, wellKnownCACertificates: System}}\noptions: {{{options}}}"),
            "spec.options", "must have at most 16 items");
    }

    [Fact]
    public void A_well_known_CA_set_is_System_or_a_prefixed_name()
    {
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: a.example.com, wellKnownCACertificates: Mozilla}}"),
            "spec.validation.wellKnownCACertificates", "should match");
        LoadOne<BackendTlsPolicy>(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: a.example.com, wellKnownCACertificates: example.com/roots}}"));
    }

    [Fact]
    public void An_XBackendTrafficPolicy_gets_the_CRD_defaults()
    {
        var spec = LoadOne<XBackendTrafficPolicy>(TrafficPolicy(ServiceTarget + "\nretryConstraint: {}\nsessionPersistence: {cookieConfig: {}}")).Spec;

        Assert.Equal((20, "10s"), (spec.RetryConstraint!.Budget.Percent, spec.RetryConstraint.Budget.Interval));
        Assert.Equal((10, "1s"), (spec.RetryConstraint.MinRetryRate.Count, spec.RetryConstraint.MinRetryRate.Interval));
        Assert.Equal((SessionPersistenceType.Cookie, CookieLifetimeType.Session), (spec.SessionPersistence!.Type, spec.SessionPersistence.CookieLifetimeType));
    }

    [Fact]
    public void A_budget_given_in_part_keeps_the_default_of_the_other_field()
    {
        var budget = LoadOne<XBackendTrafficPolicy>(TrafficPolicy(ServiceTarget + "\nretryConstraint: {budget: {percent: 5}}")).Spec.RetryConstraint!.Budget;

        Assert.Equal((5, "10s"), (budget.Percent, budget.Interval));
    }

    [Theory]
    [InlineData("retryConstraint: {budget: {interval: 500ms}}", "spec.retryConstraint.budget.interval", "interval cannot be greater than one hour or less than one second")]
    [InlineData("retryConstraint: {budget: {interval: 2h}}", "spec.retryConstraint.budget.interval", "interval cannot be greater than one hour or less than one second")]
    [InlineData("retryConstraint: {budget: {percent: 101}}", "spec.retryConstraint.budget.percent", "should be less than or equal to 100")]
    [InlineData("retryConstraint: {minRetryRate: {count: 1, interval: 0s}}", "spec.retryConstraint.minRetryRate.interval", "interval cannot be greater than one hour")]
    [InlineData("retryConstraint: {minRetryRate: {count: 0, interval: 1s}}", "spec.retryConstraint.minRetryRate.count", "should be greater than or equal to 1")]
    [InlineData("sessionPersistence: {cookieConfig: {lifetimeType: Permanent}}", "spec.sessionPersistence", "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent")]
    [InlineData("sessionPersistence: {type: Header, cookieConfig: {lifetimeType: Session}}", "spec.sessionPersistence", "cookieConfig can only be set with type Cookie")]
    [InlineData("sessionPersistence: {absoluteTimeout: 1d}", "spec.sessionPersistence.absoluteTimeout", "should match")]
    public void XBackendTrafficPolicy_fields_follow_the_schema_and_rules(string field, string path, string message)
    {
        AssertRejected(TrafficPolicy(ServiceTarget + "\n" + field), path, message);
    }

    [Fact]
    public void A_traffic_policy_target_is_named_once_and_has_no_section()
    {
        AssertRejected(TrafficPolicy("targetRefs: [{group: \"\", kind: Service, name: payments}, {group: \"\", kind: Service, name: payments}]"),
            "spec.targetRefs[1]", "Duplicate value");
        var result = Load(TrafficPolicy("targetRefs: [{group: \"\", kind: Service, name: payments, sectionName: http}]"));
        Assert.Empty(result.Objects);
        Assert.Contains(result.Problems, p => p.FieldPath == "spec.targetRefs[0].sectionName");
    }
}
