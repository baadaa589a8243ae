using Weft.Api.Model;
using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>
/// XBackend, BackendTLSPolicy and XBackendTrafficPolicy (Gateway API v1.6.1 experimental, issue 17): the CRDs'
/// schemas, defaults and CEL rules, through the real loader, with the API server's words.
/// </summary>
public sealed class BackendValidationTests
{
    /// <summary>An object of namespace egress with the given spec (YAML, indented by the helper).</summary>
    private static string Manifest(string apiVersion, string kind, string name, string spec) => $"""
        apiVersion: {apiVersion}
        kind: {kind}
        metadata: {"{"}name: {name}, namespace: egress{"}"}
        spec:
        {Indent(spec, 2).Insert(0, "  ")}
        """;

    private static string XBackend(string spec) => Manifest("gateway.networking.x-k8s.io/v1alpha1", "XBackend", "api", spec);

    private const string ExternalApi = """
        type: ExternalHostname
        externalHostname: {hostname: api.example.com}
        port: {port: 443}

        """;

    private static string TlsPolicy(string spec, string apiVersion = "gateway.networking.k8s.io/v1") => Manifest(apiVersion, "BackendTLSPolicy", "api-tls", spec);

    private const string ServiceTarget = "targetRefs: [{group: \"\", kind: Service, name: payments}]";

    private static string TrafficPolicy(string spec) => Manifest("gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy", "payments", spec);

    [Fact]
    public void An_XBackend_loads_with_every_field_mapped()
    {
        var backend = LoadOne<XBackend>(XBackend(ExternalApi.Replace("{port: 443}", "{port: 443, name: https}", StringComparison.Ordinal) + """
            protocol: HTTP2
            tls:
              mode: ServerOnly
              validation:
                hostname: api.example.com
                caCertificateRefs: [{group: "", kind: ConfigMap, name: example-ca}]
                subjectAltNames: [{type: URI, uri: "spiffe://example.com/api"}, {type: Hostname, hostname: "*.example.com"}]
            """));

        Assert.Equal(("egress", "api", XBackendType.ExternalHostname), (backend.Namespace, backend.Name, backend.Spec.Type));
        Assert.Equal(("api.example.com", 443, XBackendProtocol.Http2), (backend.Spec.ExternalHostname, backend.Spec.Port.Port, backend.Spec.Protocol));
        var tls = backend.Spec.Tls!;
        Assert.Equal(XBackendTlsMode.ServerOnly, tls.Mode);
        Assert.Equal("api.example.com", tls.Validation!.Hostname);
        Assert.Equal(("", "ConfigMap", "example-ca"), (tls.Validation.CaCertificateRefs[0].Group, tls.Validation.CaCertificateRefs[0].Kind, tls.Validation.CaCertificateRefs[0].Name));
        Assert.Equal((SubjectAltNameType.Uri, "spiffe://example.com/api"), (tls.Validation.SubjectAltNames[0].Type, tls.Validation.SubjectAltNames[0].Uri));
        Assert.Equal((SubjectAltNameType.Hostname, "*.example.com"), (tls.Validation.SubjectAltNames[1].Type, tls.Validation.SubjectAltNames[1].Hostname));
        Assert.Equal("https", backend.Spec.Port.Name);
        Assert.Null(tls.ClientCertificateRef);
    }

    [Fact]
    public void An_XBackend_hostname_ending_in_cluster_local_is_refused()
    {
        var problem = AssertRejected(XBackend(ExternalApi.Replace("api.example.com", "payments.shop.svc.cluster.local", StringComparison.Ordinal)),
            "spec.externalHostname.hostname", "hostname must not be an IP address or end with .cluster.local");

        Assert.Equal("Invalid value: \"string\": hostname must not be an IP address or end with .cluster.local", problem.Message);
    }

    [Fact]
    public void The_cluster_local_rule_runs_even_when_the_hostname_pattern_fails()
    {
        var result = Load(XBackend(ExternalApi.Replace("api.example.com", "API.svc.cluster.local", StringComparison.Ordinal)));

        Assert.Equal(2, result.Problems.Count(p => p.FieldPath == "spec.externalHostname.hostname"));
    }

    [Fact]
    public void An_XBackend_hostname_that_is_an_IPv4_address_passes_the_schema_as_the_API_server_lets_it()
    {
        // The CRD's message says no IP, but its rule checks only .cluster.local: the API server stores this one.
        Assert.Equal("203.0.113.7", LoadOne<XBackend>(XBackend(ExternalApi.Replace("api.example.com", "203.0.113.7", StringComparison.Ordinal))).Spec.ExternalHostname);
    }

    [Fact]
    public void ExternalHostname_is_required_with_the_type_ExternalHostname()
    {
        // The rule's other half (unset for any other type) cannot be reached: ExternalHostname is the enum's only value.
        var problem = AssertRejected(XBackend("type: ExternalHostname\nport: {port: 443}"), "spec",
            "externalHostname must be set when type is ExternalHostname and must be unset otherwise");
        Assert.Contains("add externalHostname", problem.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port: {port: 0}", "spec.port.port", "should be greater than or equal to 1")]
    [InlineData("port: {port: 65536}", "spec.port.port", "should be less than or equal to 65535")]
    [InlineData("port: {port: 443, name: Https}", "spec.port.name", "Name must be a valid DNS label")]
    [InlineData("protocol: HTTP3", "spec.protocol", "supported values: \"TCP\", \"HTTP\", \"HTTP2\", \"HTTP11\", \"H2C\", \"MCP\"")]
    [InlineData("type: Service", "spec.type", "supported values: \"ExternalHostname\"")]
    [InlineData("tls: {mode: Mutual}", "spec.tls.mode", "supported values: \"None\", \"ServerOnly\", \"ClientAndServer\"")]
    [InlineData("tls: {validation: {hostname: a.example.com, wellKnownCACertificates: System}}", "spec.tls.mode", "Required value")]
    [InlineData("tls: {mode: ClientAndServer, clientCertificateRef: {name: c, namespace: Bad_NS}}", "spec.tls.clientCertificateRef.namespace", "should match")]
    [InlineData("tls: {mode: ClientAndServer, clientCertificateRef: {name: c, kind: 9Secret}}", "spec.tls.clientCertificateRef.kind", "should match")]
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
    public void Two_references_to_one_target_without_sections_break_only_the_uniqueness_rule()
    {
        var result = Load(TlsPolicy("targetRefs: [{group: \"\", kind: Service, name: payments}, {group: \"\", kind: Service, name: payments}]\n"
            + "validation: {hostname: a.example.com, wellKnownCACertificates: System}"));

        var problem = Assert.Single(result.Problems);
        Assert.Equal("spec.targetRefs", problem.FieldPath);
        Assert.Contains("sectionName must be unique when targetRefs includes 2 or more references to the same target", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caCertificateRefs", "{group: \"\", kind: ConfigMap, name: ca}", 9, "must have at most 8 items")]
    [InlineData("subjectAltNames", "{type: Hostname, hostname: a.example.com}", 6, "must have at most 5 items")]
    public void Validation_lists_are_bounded(string field, string item, int count, string message)
    {
        var items = string.Join(", ", Enumerable.Repeat(item, count));
        var roots = field == "caCertificateRefs" ? "" : ", wellKnownCACertificates: System";
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: a.example.com{roots}, {field}: [{items}]}}"), $"spec.validation.{field}", message);
    }

    [Fact]
    public void An_option_value_is_at_most_4096_characters_and_named_by_its_key()
    {
        AssertRejected(TlsPolicy($"{ServiceTarget}\nvalidation: {{hostname: a.example.com, wellKnownCACertificates: System}}\noptions: {{example.com/x: {new string('v', 4097)}}}"),
            "spec.options.example.com/x", "Too long: may not be more than 4096 bytes");
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
    public void Only_the_CRD_s_defaults_are_applied()
    {
        var bare = LoadOne<XBackendTrafficPolicy>(TrafficPolicy(ServiceTarget)).Spec;
        Assert.Null(bare.RetryConstraint);
        Assert.Null(bare.SessionPersistence);

        // minRetryRate's fields have no defaults of their own: given in part, the rest stays unset.
        var partial = LoadOne<XBackendTrafficPolicy>(TrafficPolicy(ServiceTarget + "\nretryConstraint: {minRetryRate: {count: 5}}\nsessionPersistence: {}")).Spec;
        Assert.Equal((5, null), (partial.RetryConstraint!.MinRetryRate.Count, partial.RetryConstraint.MinRetryRate.Interval));
        Assert.Equal((SessionPersistenceType.Cookie, null), (partial.SessionPersistence!.Type, partial.SessionPersistence.CookieLifetimeType));
    }

    [Theory]
    [InlineData("retryConstraint: {budget: {interval: 1s}}")]
    [InlineData("retryConstraint: {budget: {interval: 1h, percent: 0}, minRetryRate: {count: 1000000, interval: 1h}}")]
    [InlineData("sessionPersistence: {cookieConfig: {lifetimeType: Permanent}, absoluteTimeout: 24h}")]
    [InlineData("sessionPersistence: {type: Header, sessionName: x-session}")]
    public void The_bounds_of_the_rules_are_allowed(string field)
    {
        LoadOne<XBackendTrafficPolicy>(TrafficPolicy(ServiceTarget + "\n" + field));
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
    [InlineData("retryConstraint: {budget: {percent: -1}}", "spec.retryConstraint.budget.percent", "should be greater than or equal to 0")]
    [InlineData("retryConstraint: {minRetryRate: {count: 1000001, interval: 1s}}", "spec.retryConstraint.minRetryRate.count", "should be less than or equal to 1000000")]
    [InlineData("retryConstraint: {minRetryRate: {count: 1, interval: 61m}}", "spec.retryConstraint.minRetryRate.interval", "interval cannot be greater than one hour")]
    [InlineData("sessionPersistence: {type: Query}", "spec.sessionPersistence.type", "supported values: \"Cookie\", \"Header\"")]
    [InlineData("sessionPersistence: {cookieConfig: {lifetimeType: Forever}}", "spec.sessionPersistence.cookieConfig.lifetimeType", "supported values: \"Permanent\", \"Session\"")]
    public void XBackendTrafficPolicy_fields_follow_the_schema_and_rules(string field, string path, string message)
    {
        AssertRejected(TrafficPolicy(ServiceTarget + "\n" + field), path, message);
    }

    [Fact]
    public void A_traffic_policy_target_is_named_once_and_has_no_section()
    {
        AssertRejected(TrafficPolicy("targetRefs: []"), "spec.targetRefs", "should have at least 1 items");
        AssertRejected(TrafficPolicy("targetRefs: [{group: \"\", kind: Service, name: payments}, {group: \"\", kind: Service, name: payments}]"),
            "spec.targetRefs[1]", "Duplicate value");
        var result = Load(TrafficPolicy("targetRefs: [{group: \"\", kind: Service, name: payments, sectionName: http}]"));
        Assert.Empty(result.Objects);
        Assert.Contains(result.Problems, p => p.FieldPath == "spec.targetRefs[0].sectionName");
    }
}
