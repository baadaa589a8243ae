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
        var port = spec.Map("port") ?? throw spec.Required("spec.port", "add port: {port: 443}");
        return new XBackend
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new XBackendSpec
            {
                Type = spec.String("type") ?? throw spec.Required("spec.type", $"set type: {XBackendType.ExternalHostname}"),
                Port = new XBackendPort
                {
                    Port = port.Int("port") ?? throw port.Required("spec.port.port", "set port to the backend's port, e.g. 443"),
                    Name = port.String("name"),
                },
                Protocol = spec.String("protocol"),
                ExternalHostname = spec.Map("externalHostname") is { } external
                    ? external.String("hostname") ?? throw external.Required("spec.externalHostname.hostname", "set hostname to the backend's DNS name, e.g. api.example.com")
                    : null,
                Tls = spec.Map("tls") is { } tls ? XBackendTls(tls) : null,
            },
        };
    }

    private static XBackendTls XBackendTls(MappingReader tls) => new()
    {
        Mode = tls.String("mode") ?? throw tls.Required(MappingReader.Join(tls.Path, "mode"), $"set mode to {XBackendTlsMode.None}, {XBackendTlsMode.ServerOnly} or {XBackendTlsMode.ClientAndServer}"),
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
                TargetRefs = spec.ListOrNull("targetRefs", TargetRef)
                    ?? throw spec.Required("spec.targetRefs", "add targetRefs: [{group: \"\", kind: Service, name: NAME}]"),
                Validation = Validation(spec.Map("validation")
                    ?? throw spec.Required("spec.validation", "add validation: {hostname: NAME, caCertificateRefs: [...]} or wellKnownCACertificates: System")),
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
                TargetRefs = spec.ListOrNull("targetRefs", TargetRef)
                    ?? throw spec.Required("spec.targetRefs", "add targetRefs: [{group: \"\", kind: Service, name: NAME}]"),
                RetryConstraint = spec.Map("retryConstraint") is { } r ? RetryConstraint(r) : null,
                SessionPersistence = spec.Map("sessionPersistence") is { } s ? SessionPersistence(s) : null,
            },
        };
    }

    private static BackendTlsValidation Validation(MappingReader v) => new()
    {
        Hostname = v.String("hostname") ?? throw v.Required(MappingReader.Join(v.Path, "hostname"), "set hostname: the name the backend's certificate is for, sent as the SNI"),
        CaCertificateRefs = v.List("caCertificateRefs", r => new LocalObjectReference
        {
            Group = r.String("group") ?? throw r.Required(MappingReader.Join(r.Path, "group"), "set group: \"\" for a ConfigMap"),
            Kind = r.RequiredString("kind"),
            Name = r.RequiredString("name"),
        }),
        WellKnownCaCertificates = v.String("wellKnownCACertificates"),
        SubjectAltNames = v.List("subjectAltNames", s => new SubjectAltName
        {
            Type = s.String("type") ?? throw s.Required(MappingReader.Join(s.Path, "type"), $"set type to {SubjectAltNameType.Hostname} or {SubjectAltNameType.Uri}"),
            Hostname = s.String("hostname"),
            Uri = s.String("uri"),
        }),
    };

    private static PolicyTargetReference TargetRef(MappingReader t) => new()
    {
        Group = t.String("group") ?? throw t.Required(MappingReader.Join(t.Path, "group"), "set group: \"\" for a Service"),
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
