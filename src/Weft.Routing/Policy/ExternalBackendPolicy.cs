namespace Weft.Routing.Policy;

/// <summary>
/// A backend outside the cluster (an <c>XBackend</c> of type ExternalHostname): the proxy resolves
/// <see cref="Hostname"/> itself at request time (DNS, within the record's TTL) and balances over its addresses; the
/// app's traffic never decides the address. <see cref="BackendPolicy.Endpoints"/> is empty for such a backend.
/// </summary>
public sealed record ExternalBackendPolicy
{
    public required string Hostname { get; init; }

    public required int Port { get; init; }

    /// <summary>Where it came from, for logs and <c>weft explain</c>: "XBackend ns/name".</summary>
    public required string Source { get; init; }

    /// <summary>TLS the proxy originates to the backend (the app sends plaintext); null: plaintext on the wire.</summary>
    public TlsOriginationPolicy? Tls { get; init; }

    /// <summary>
    /// The Host (HTTP/1.1) or :authority (HTTP/2) sent upstream unless a URLRewrite set one: the hostname, with the port
    /// unless it is the scheme's default (443 with TLS, 80 without), as a client calling the host itself would send.
    /// </summary>
    public string Authority => Port == (Tls is null ? 80 : 443) ? Hostname : $"{Hostname}:{Port}";
}

/// <summary>
/// TLS from the proxy to a backend (XBackend <c>tls</c>, BackendTLSPolicy <c>validation</c>): the SNI, the roots the
/// backend's chain must end in, and the names its certificate must carry.
/// </summary>
public sealed record TlsOriginationPolicy
{
    /// <summary>The SNI; also the name the certificate must carry when <see cref="SubjectAltNames"/> is empty.</summary>
    public required string ServerName { get; init; }

    /// <summary>PEM certificates the chain must end in (from the referenced ConfigMaps' <c>ca.crt</c>); empty: the system roots.</summary>
    public IReadOnlyList<string> CaCertificatesPem { get; init; } = [];

    /// <summary>What the roots are, for errors and <c>weft explain</c>: "ConfigMap egress/example-ca" or "the system's roots".</summary>
    public required string Roots { get; init; }

    /// <summary>When non-empty, the certificate must carry one of these instead of <see cref="ServerName"/>.</summary>
    public IReadOnlyList<SubjectAltNamePolicy> SubjectAltNames { get; init; } = [];

    /// <summary>Where the settings came from: "XBackend ns/name" or "BackendTLSPolicy ns/name".</summary>
    public required string Source { get; init; }
}

/// <summary>A subject alternative name the backend's certificate must carry: <see cref="Type"/> Hostname (a DNS name) or URI.</summary>
public sealed record SubjectAltNamePolicy
{
    public required string Type { get; init; }

    public required string Value { get; init; }
}
