using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>
/// Maps the backend kinds of Gateway API v1.6.1 (issue 17): XBackend, BackendTLSPolicy and XBackendTrafficPolicy, with
/// their CRDs' defaults.
/// </summary>
internal static class BackendObjectMapper
{
    public static XBackend XBackend(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        var port = spec.RequiredMap("port", "add port: {port: 443}");
        return new XBackend
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new XBackendSpec
            {
                Type = spec.RequiredString("type", $"set type: {XBackendType.ExternalHostname}"),
                Port = new XBackendPort
                {
                    Port = port.RequiredInt("port", "set port to the backend's port, e.g. 443"),
                    Name = port.String("name"),
                },
                Protocol = spec.String("protocol"),
                ExternalHostname = spec.Map("externalHostname") is { } external
                    ? external.RequiredString("hostname", "set hostname to the backend's DNS name, e.g. api.example.com")
                    : null,
                Tls = spec.Map("tls") is { } tls ? XBackendTls(tls) : null,
            },
        };
    }

    private static XBackendTls XBackendTls(MappingReader tls) => new()
    {
        Mode = tls.RequiredString("mode", $"set mode to {XBackendTlsMode.None}, {XBackendTlsMode.ServerOnly} or {XBackendTlsMode.ClientAndServer}"),
        ClientCertificateRef = tls.Map("clientCertificateRef") is { } c
            ? new SecretObjectReference
            {
                Group = c.String("group") ?? "",
                Kind = c.String("kind") ?? "Secret",
                Name = c.RequiredString("name"),
                Namespace = c.String("namespace"),
            }
            : null,
        Validation = tls.Map("validation") is { } v ? Validation(v) : null,
    };

    public static BackendTlsPolicy BackendTlsPolicy(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new BackendTlsPolicy
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new BackendTlsPolicySpec
            {
                TargetRefs = TargetRefs(spec),
                Validation = Validation(spec.RequiredMap("validation", "add validation: {hostname: NAME, caCertificateRefs: [...]} or wellKnownCACertificates: System")),
                Options = spec.StringMap("options"),
            },
        };
    }

    public static XBackendTrafficPolicy XBackendTrafficPolicy(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new XBackendTrafficPolicy
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new XBackendTrafficPolicySpec
            {
                TargetRefs = TargetRefs(spec),
                RetryConstraint = spec.Map("retryConstraint") is { } r ? RetryConstraint(r) : null,
                SessionPersistence = spec.Map("sessionPersistence") is { } s ? SessionPersistence(s) : null,
            },
        };
    }

    private static BackendTlsValidation Validation(MappingReader v) => new()
    {
        Hostname = v.RequiredString("hostname", "set hostname: the name the backend's certificate is for, sent as the SNI"),
        CaCertificateRefs = v.List("caCertificateRefs", r => new LocalObjectReference
        {
            Group = r.RequiredString("group", "set group: \"\" for a ConfigMap"),
            Kind = r.RequiredString("kind"),
            Name = r.RequiredString("name"),
        }),
        WellKnownCaCertificates = v.String("wellKnownCACertificates"),
        SubjectAltNames = v.List("subjectAltNames", s => new SubjectAltName
        {
            Type = s.RequiredString("type", $"set type to {SubjectAltNameType.Hostname} or {SubjectAltNameType.Uri}"),
            Hostname = s.String("hostname"),
            Uri = s.String("uri"),
        }),
    };

    /// <summary>A policy's <c>spec.targetRefs</c>: required (an empty list is the validator's to refuse).</summary>
    private static IReadOnlyList<PolicyTargetReference> TargetRefs(MappingReader spec) =>
        spec.ListOrNull("targetRefs", TargetRef) ?? throw spec.Required("spec.targetRefs", "add targetRefs: [{group: \"\", kind: Service, name: NAME}]");

    private static PolicyTargetReference TargetRef(MappingReader t) => new()
    {
        Group = t.RequiredString("group", "set group: \"\" for a Service"),
        Kind = t.RequiredString("kind"),
        Name = t.RequiredString("name"),
        SectionName = t.String("sectionName"),
    };

    // The CRD defaults: an omitted budget is {percent: 20, interval: 10s}, an omitted minRetryRate {count: 10, interval: 1s};
    // a budget given in part gets the missing field's default (minRetryRate's fields have none).
    private static RetryConstraint RetryConstraint(MappingReader r) => new()
    {
        Budget = r.Map("budget") is { } b
            ? new RetryBudget { Percent = b.Int("percent") ?? Model.RetryBudget.DefaultPercent, Interval = b.String("interval") ?? Model.RetryBudget.DefaultInterval }
            : new RetryBudget(),
        MinRetryRate = r.Map("minRetryRate") is { } m ? new RetryRate { Count = m.Int("count"), Interval = m.String("interval") } : new RetryRate(),
    };

    private static BackendSessionPersistence SessionPersistence(MappingReader s) => new()
    {
        SessionName = s.String("sessionName"),
        AbsoluteTimeout = s.String("absoluteTimeout"),
        Type = s.String("type") ?? SessionPersistenceType.Cookie,
        CookieLifetimeType = s.Map("cookieConfig") is { } c ? c.String("lifetimeType") ?? CookieLifetimeType.Session : null,
    };
}
