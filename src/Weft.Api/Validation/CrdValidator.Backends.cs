using System.Text.RegularExpressions;
using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>
/// XBackend, BackendTLSPolicy and XBackendTrafficPolicy (Gateway API v1.6.1 experimental CRDs, issue 17): each field's
/// schema and the CRDs' CEL rules, messages verbatim. What the CRDs say but do not check (an XBackend hostname "must not
/// be an IP address") the API server accepts, and so does this: it is the routing's to refuse. Unlike the API server,
/// the rules of an object also run when a field's enum or required check failed (as in the other kinds' validators).
/// </summary>
internal static partial class CrdValidator
{
    private static readonly string[] XBackendTypes = [XBackendType.ExternalHostname];
    private static readonly string[] XBackendProtocols = [XBackendProtocol.Tcp, XBackendProtocol.Http, XBackendProtocol.Http2, XBackendProtocol.Http11, XBackendProtocol.H2c, XBackendProtocol.Mcp];
    private static readonly string[] XBackendTlsModes = [XBackendTlsMode.None, XBackendTlsMode.ServerOnly, XBackendTlsMode.ClientAndServer];
    private static readonly string[] SubjectAltNameTypes = [SubjectAltNameType.Hostname, SubjectAltNameType.Uri];
    private static readonly string[] SessionPersistenceTypes = [SessionPersistenceType.Cookie, SessionPersistenceType.Header];
    private static readonly string[] CookieLifetimeTypes = [CookieLifetimeType.Permanent, CookieLifetimeType.Session];

    private static readonly Pattern WellKnownCaCertificates = new(WellKnownCaRegex(),
        @"^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$",
        "use System (the system's roots), or a domain-prefixed name such as example.com/roots");

    private static readonly Pattern SubjectAltNameUri = new(SanUriRegex(), @"^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?",
        "write an absolute URI such as spiffe://cluster.local/ns/payments/sa/api");

    private static void XBackend(FieldErrors errors, XBackend backend)
    {
        var spec = backend.Spec;
        errors.Enum("spec.type", spec.Type, XBackendTypes);
        if (spec.Type == XBackendType.ExternalHostname ? spec.ExternalHostname is null : spec.ExternalHostname is not null)
        {
            errors.Rule("spec", "externalHostname must be set when type is ExternalHostname and must be unset otherwise",
                spec.ExternalHostname is null ? "add externalHostname: {hostname: api.example.com}" : "remove externalHostname");
        }

        // The rule runs after a pattern failure too (the API server skips rules only past a length limit).
        errors.String("spec.externalHostname.hostname", spec.ExternalHostname, 1, 253, Patterns.PreciseHostname);
        if (spec.ExternalHostname is { Length: >= 1 and <= 253 } hostname && hostname.EndsWith(".cluster.local", StringComparison.Ordinal))
        {
            errors.Rule("spec.externalHostname.hostname", "hostname must not be an IP address or end with .cluster.local",
                "name an external host; a Service of the cluster is a backendRef of kind Service", "string");
        }

        errors.Range("spec.port.port", spec.Port.Port, 1, 65535);
        if (errors.String("spec.port.name", spec.Port.Name, 0, 63) && spec.Port.Name is { Length: > 0 } name && !Patterns.Namespace.IsMatch(name))
        {
            errors.Rule("spec.port.name", "Name must be a valid DNS label", Patterns.Namespace.Hint, "string");
        }

        errors.Enum("spec.protocol", spec.Protocol, XBackendProtocols);
        if (spec.Tls is { } tls)
        {
            errors.Enum("spec.tls.mode", tls.Mode, XBackendTlsModes);
            if (tls.Mode == XBackendTlsMode.ClientAndServer ? tls.ClientCertificateRef is null : tls.ClientCertificateRef is not null)
            {
                errors.Rule("spec.tls", "clientCertificateRef must be set if and only if mode is ClientAndServer",
                    tls.ClientCertificateRef is null ? "add clientCertificateRef: {name: SECRET}" : "remove clientCertificateRef, or set mode: ClientAndServer");
            }

            if (tls.ClientCertificateRef is { } client)
            {
                ObjectReference(errors, "spec.tls.clientCertificateRef", client.Group, client.Kind, client.Name);
                errors.String("spec.tls.clientCertificateRef.namespace", client.Namespace, 1, 63, Patterns.Namespace);
            }

            if (tls.Validation is { } validation)
            {
                BackendTlsValidation(errors, "spec.tls.validation", validation);
            }
        }
    }

    private static void BackendTlsPolicy(FieldErrors errors, BackendTlsPolicy policy)
    {
        var spec = policy.Spec;
        var targets = spec.TargetRefs;
        errors.MinItems("spec.targetRefs", targets, 1);
        errors.MaxItems("spec.targetRefs", targets, 16);
        for (var i = 0; i < targets.Count; i++)
        {
            ObjectReference(errors, $"spec.targetRefs[{i}]", targets[i].Group, targets[i].Kind, targets[i].Name);
            errors.String($"spec.targetRefs[{i}].sectionName", targets[i].SectionName, 1, 253, Patterns.SectionName);
        }

        // Two CEL rules on the list: references to one target all name a section, or none does; and no section twice.
        static bool Same(PolicyTargetReference a, PolicyTargetReference b) => a.Group == b.Group && a.Kind == b.Kind && a.Name == b.Name;
        static bool NoSection(PolicyTargetReference t) => string.IsNullOrEmpty(t.SectionName);
        if (targets.Any(a => targets.Any(b => Same(a, b) && NoSection(a) != NoSection(b))))
        {
            errors.Rule("spec.targetRefs", "sectionName must be specified when targetRefs includes 2 or more references to the same target",
                "give every reference to that target a sectionName (a port name), or keep one reference without", "array");
        }

        if (targets.Any(a => targets.Count(b => Same(a, b) && ((NoSection(a) && NoSection(b)) || (!NoSection(a) && a.SectionName == b.SectionName))) != 1))
        {
            errors.Rule("spec.targetRefs", "sectionName must be unique when targetRefs includes 2 or more references to the same target",
                "remove the repeated reference", "array");
        }

        BackendTlsValidation(errors, "spec.validation", spec.Validation);
        if (spec.Options.Count > 16)
        {
            errors.Add("spec.options", $"Too many: {spec.Options.Count}: must have at most 16 items", "keep at most 16 options");
        }

        foreach (var (key, value) in spec.Options)
        {
            errors.String($"spec.options.{key}", value, 0, 4096);
        }
    }

    private static void XBackendTrafficPolicy(FieldErrors errors, XBackendTrafficPolicy policy)
    {
        var spec = policy.Spec;
        errors.MinItems("spec.targetRefs", spec.TargetRefs, 1);
        errors.MaxItems("spec.targetRefs", spec.TargetRefs, 16);
        for (var i = 0; i < spec.TargetRefs.Count; i++)
        {
            var t = spec.TargetRefs[i];
            ObjectReference(errors, $"spec.targetRefs[{i}]", t.Group, t.Kind, t.Name);
            if (spec.TargetRefs.Take(i).Any(o => o.Group == t.Group && o.Kind == t.Kind && o.Name == t.Name))
            {
                // A list of type map, keyed by group, kind and name.
                errors.Duplicate($"spec.targetRefs[{i}]", $"map[string]interface {{}}{{\"group\":{FieldErrors.Quote(t.Group)}, \"kind\":{FieldErrors.Quote(t.Kind)}, \"name\":{FieldErrors.Quote(t.Name)}}}",
                    "remove the repeated target");
            }
        }

        if (spec.RetryConstraint is { } retry)
        {
            errors.Range("spec.retryConstraint.budget.percent", retry.Budget.Percent, 0, 100);
            if (errors.String("spec.retryConstraint.budget.interval", retry.Budget.Interval, 0, int.MaxValue, Patterns.Duration))
            {
                var interval = Patterns.ParseDuration(retry.Budget.Interval);
                if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromHours(1))
                {
                    errors.Rule("spec.retryConstraint.budget.interval", "interval cannot be greater than one hour or less than one second",
                        "use an interval from 1s to 1h", "string");
                }
            }

            errors.Range("spec.retryConstraint.minRetryRate.count", retry.MinRetryRate.Count, 1, 1_000_000);
            if (errors.String("spec.retryConstraint.minRetryRate.interval", retry.MinRetryRate.Interval, 0, int.MaxValue, Patterns.Duration)
                && retry.MinRetryRate.Interval is { } rateInterval)
            {
                var interval = Patterns.ParseDuration(rateInterval);
                if (interval == TimeSpan.Zero || interval > TimeSpan.FromHours(1))
                {
                    errors.Rule("spec.retryConstraint.minRetryRate.interval", "interval cannot be greater than one hour",
                        "use an interval above 0s and at most 1h", "string");
                }
            }
        }

        if (spec.SessionPersistence is { } session)
        {
            const string path = "spec.sessionPersistence";
            errors.String($"{path}.sessionName", session.SessionName, 0, 128);
            errors.String($"{path}.absoluteTimeout", session.AbsoluteTimeout, 0, int.MaxValue, Patterns.Duration);
            errors.Enum($"{path}.type", session.Type, SessionPersistenceTypes);
            errors.Enum($"{path}.cookieConfig.lifetimeType", session.CookieLifetimeType, CookieLifetimeTypes);
            if (session.CookieLifetimeType == CookieLifetimeType.Permanent && session.AbsoluteTimeout is null)
            {
                errors.Rule(path, "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent", "add absoluteTimeout, e.g. 24h, or use lifetimeType: Session");
            }

            if (session.CookieLifetimeType is not null && session.Type != SessionPersistenceType.Cookie)
            {
                errors.Rule(path, "cookieConfig can only be set with type Cookie", "remove cookieConfig, or set type: Cookie");
            }
        }
    }

    /// <summary>BackendTLSPolicy's <c>validation</c> (and an XBackend's <c>tls.validation</c>): the schema and its six CEL rules.</summary>
    private static void BackendTlsValidation(FieldErrors errors, string path, BackendTlsValidation v)
    {
        errors.String($"{path}.hostname", v.Hostname, 1, 253, Patterns.PreciseHostname);
        errors.MaxItems($"{path}.caCertificateRefs", v.CaCertificateRefs, 8);
        for (var i = 0; i < v.CaCertificateRefs.Count; i++)
        {
            LocalObjectReference(errors, $"{path}.caCertificateRefs[{i}]", v.CaCertificateRefs[i]);
        }

        errors.String($"{path}.wellKnownCACertificates", v.WellKnownCaCertificates, 1, 253, WellKnownCaCertificates);
        var refs = v.CaCertificateRefs.Count > 0;
        var wellKnown = !string.IsNullOrEmpty(v.WellKnownCaCertificates);
        if (refs && wellKnown)
        {
            errors.Rule(path, "must not contain both CACertificateRefs and WellKnownCACertificates", "keep caCertificateRefs or wellKnownCACertificates, not both");
        }

        if (!refs && !wellKnown)
        {
            errors.Rule(path, "must specify either CACertificateRefs or WellKnownCACertificates",
                "add caCertificateRefs: [{group: \"\", kind: ConfigMap, name: NAME}], or wellKnownCACertificates: System");
        }

        errors.MaxItems($"{path}.subjectAltNames", v.SubjectAltNames, 5);
        for (var i = 0; i < v.SubjectAltNames.Count; i++)
        {
            var san = v.SubjectAltNames[i];
            var at = $"{path}.subjectAltNames[{i}]";
            errors.Enum($"{at}.type", san.Type, SubjectAltNameTypes);
            errors.String($"{at}.hostname", san.Hostname, 1, 253, Patterns.Hostname);
            errors.String($"{at}.uri", san.Uri, 1, 253, SubjectAltNameUri);
            var hasHostname = !string.IsNullOrEmpty(san.Hostname);
            var hasUri = !string.IsNullOrEmpty(san.Uri);
            if (san.Type == SubjectAltNameType.Hostname && !hasHostname)
            {
                errors.Rule(at, "SubjectAltName element must contain Hostname, if Type is set to Hostname", "add hostname: NAME");
            }

            if (san.Type != SubjectAltNameType.Hostname && hasHostname)
            {
                errors.Rule(at, "SubjectAltName element must not contain Hostname, if Type is not set to Hostname", "remove hostname, or set type: Hostname");
            }

            if (san.Type == SubjectAltNameType.Uri && !hasUri)
            {
                errors.Rule(at, "SubjectAltName element must contain URI, if Type is set to URI", "add uri: URI");
            }

            if (san.Type != SubjectAltNameType.Uri && hasUri)
            {
                errors.Rule(at, "SubjectAltName element must not contain URI, if Type is not set to URI", "remove uri, or set type: URI");
            }
        }
    }

    [GeneratedRegex(@"^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$", RegexOptions.CultureInvariant)]
    private static partial Regex WellKnownCaRegex();

    [GeneratedRegex(@"^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?", RegexOptions.CultureInvariant)]
    private static partial Regex SanUriRegex();
}
