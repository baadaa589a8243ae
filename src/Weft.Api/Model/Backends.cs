namespace Weft.Api.Model;

/// <summary>
/// <c>XBackend</c> (gateway.networking.x-k8s.io/v1alpha1, Gateway API v1.6.1 experimental): a backend outside the
/// cluster, named by its DNS name, for a route's <c>backendRefs</c> (issue 17).
/// </summary>
public sealed record XBackend : KubeObject
{
    public const string KindName = "XBackend";

    public override string Kind => KindName;

    public required XBackendSpec Spec { get; init; }
}

/// <summary><c>spec.type</c> of an <see cref="XBackend"/>.</summary>
public static class XBackendType
{
    public const string ExternalHostname = "ExternalHostname";
}

/// <summary><c>spec.protocol</c> of an <see cref="XBackend"/>; unset: the protocol the route implies.</summary>
public static class XBackendProtocol
{
    public const string Tcp = "TCP";
    public const string Http = "HTTP";
    public const string Http2 = "HTTP2";
    public const string Http11 = "HTTP11";
    public const string H2c = "H2C";
    public const string Mcp = "MCP";
}

/// <summary><c>spec.tls.mode</c> of an <see cref="XBackend"/>.</summary>
public static class XBackendTlsMode
{
    public const string None = "None";
    public const string ServerOnly = "ServerOnly";
    public const string ClientAndServer = "ClientAndServer";
}

public sealed record XBackendSpec
{
    public required string Type { get; init; }

    public required XBackendPort Port { get; init; }

    /// <summary>Null: the protocol the route's kind and the port imply.</summary>
    public string? Protocol { get; init; }

    /// <summary><c>externalHostname.hostname</c>: set exactly when <see cref="Type"/> is ExternalHostname.</summary>
    public string? ExternalHostname { get; init; }

    public XBackendTls? Tls { get; init; }
}

/// <summary><c>spec.port</c>: the port to connect to, and an optional name.</summary>
public sealed record XBackendPort
{
    public required int Port { get; init; }

    public string? Name { get; init; }
}

/// <summary><c>spec.tls</c>: whether the proxy speaks TLS to the backend, and how it checks the backend's certificate.</summary>
public sealed record XBackendTls
{
    public required string Mode { get; init; }

    /// <summary>A Secret with the client certificate: set exactly when <see cref="Mode"/> is ClientAndServer.</summary>
    public SecretObjectReference? ClientCertificateRef { get; init; }

    public BackendTlsValidation? Validation { get; init; }
}

/// <summary>A reference to a Secret (or another kind of its group), possibly in another namespace.</summary>
public sealed record SecretObjectReference
{
    public string Group { get; init; } = "";

    public string Kind { get; init; } = "Secret";

    public required string Name { get; init; }

    public string? Namespace { get; init; }
}

/// <summary>
/// How a proxy checks a backend's certificate (BackendTLSPolicy's <c>spec.validation</c>, the same shape in an
/// XBackend's <c>tls.validation</c>): <see cref="Hostname"/> is the SNI and, without <see cref="SubjectAltNames"/>, the
/// name the certificate must carry; the roots are either <see cref="CaCertificateRefs"/> or the well-known set.
/// </summary>
public sealed record BackendTlsValidation
{
    public required string Hostname { get; init; }

    public IReadOnlyList<LocalObjectReference> CaCertificateRefs { get; init; } = [];

    /// <summary>"System" (the system's roots) or a prefixed name; null when <see cref="CaCertificateRefs"/> are used.</summary>
    public string? WellKnownCaCertificates { get; init; }

    public IReadOnlyList<SubjectAltName> SubjectAltNames { get; init; } = [];
}

/// <summary><c>subjectAltNames[].type</c>.</summary>
public static class SubjectAltNameType
{
    public const string Hostname = "Hostname";
    public const string Uri = "URI";
}

/// <summary>A name the backend's certificate must carry: a DNS name (<see cref="Hostname"/>) or a URI (<see cref="Uri"/>).</summary>
public sealed record SubjectAltName
{
    public required string Type { get; init; }

    public string? Hostname { get; init; }

    public string? Uri { get; init; }
}

/// <summary>
/// <c>BackendTLSPolicy</c> (gateway.networking.k8s.io/v1; v1alpha3 read too): TLS from the proxy to the backends of
/// the Services (ports, by <see cref="PolicyTargetReference.SectionName"/>) it targets.
/// </summary>
public sealed record BackendTlsPolicy : KubeObject
{
    public const string KindName = "BackendTLSPolicy";

    public override string Kind => KindName;

    public required BackendTlsPolicySpec Spec { get; init; }
}

public sealed record BackendTlsPolicySpec
{
    public required IReadOnlyList<PolicyTargetReference> TargetRefs { get; init; }

    public required BackendTlsValidation Validation { get; init; }

    /// <summary>Implementation-specific TLS options (un-prefixed keys are reserved).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>A policy's target in its own namespace (GEP-713 LocalPolicyTargetReference, with an optional section).</summary>
public sealed record PolicyTargetReference
{
    public required string Group { get; init; }

    public required string Kind { get; init; }

    public required string Name { get; init; }

    public string? SectionName { get; init; }
}

/// <summary>
/// <c>XBackendTrafficPolicy</c> (gateway.networking.x-k8s.io/v1alpha1, GEP-3388): the retry budget and session
/// persistence of the backends it targets (Services or XBackends of its namespace).
/// </summary>
public sealed record XBackendTrafficPolicy : KubeObject
{
    public const string KindName = "XBackendTrafficPolicy";

    public override string Kind => KindName;

    public required XBackendTrafficPolicySpec Spec { get; init; }
}

public sealed record XBackendTrafficPolicySpec
{
    public required IReadOnlyList<PolicyTargetReference> TargetRefs { get; init; }

    public RetryConstraint? RetryConstraint { get; init; }

    public BackendSessionPersistence? SessionPersistence { get; init; }
}

/// <summary><c>retryConstraint</c>: retries may be <see cref="Budget"/> of the requests, and never fewer than <see cref="MinRetryRate"/>.</summary>
public sealed record RetryConstraint
{
    public RetryBudget Budget { get; init; } = new();

    public RetryRate MinRetryRate { get; init; } = new();
}

/// <summary><c>budget</c>: at most <see cref="Percent"/> of the requests in <see cref="Interval"/> may be retries (CRD defaults 20, 10s).</summary>
public sealed record RetryBudget
{
    public const int DefaultPercent = 20;
    public const string DefaultInterval = "10s";

    public int Percent { get; init; } = DefaultPercent;

    public string Interval { get; init; } = DefaultInterval;
}

/// <summary><c>minRetryRate</c>: <see cref="Count"/> retries per <see cref="Interval"/> are always allowed (CRD default 10 per 1s).</summary>
public sealed record RetryRate
{
    public const int DefaultCount = 10;
    public const string DefaultInterval = "1s";

    public int? Count { get; init; } = DefaultCount;

    public string? Interval { get; init; } = DefaultInterval;
}

/// <summary><c>sessionPersistence.type</c>.</summary>
public static class SessionPersistenceType
{
    public const string Cookie = "Cookie";
    public const string Header = "Header";
}

/// <summary><c>sessionPersistence.cookieConfig.lifetimeType</c>.</summary>
public static class CookieLifetimeType
{
    public const string Permanent = "Permanent";
    public const string Session = "Session";
}

/// <summary>
/// <c>sessionPersistence</c> of an XBackendTrafficPolicy: a client is kept on one endpoint by a cookie or a header
/// (<see cref="Type"/>, default Cookie) named <see cref="SessionName"/>, for at most <see cref="AbsoluteTimeout"/>.
/// </summary>
public sealed record BackendSessionPersistence
{
    public string? SessionName { get; init; }

    public string? AbsoluteTimeout { get; init; }

    public string Type { get; init; } = SessionPersistenceType.Cookie;

    /// <summary><c>cookieConfig.lifetimeType</c> (default Session) when <c>cookieConfig</c> is given; null otherwise.</summary>
    public string? CookieLifetimeType { get; init; }
}
