using System.Security.Cryptography.X509Certificates;

namespace Weft.Discovery;

/// <summary>
/// What a discovery client proves itself with (issue 15): a credential sent on every call as
/// <c>authorization: Bearer</c> (a sidecar's workload token, read per call so that a rotated token file is picked up;
/// or the admin credential of <c>weft status</c>), and the sidecar's workload certificate as its TLS client
/// certificate once it has one.
/// </summary>
public sealed record DiscoveryCredentials
{
    /// <summary>The bearer credential, read before every call; null or empty: none is sent (the call is refused).</summary>
    public Func<string?>? Token { get; init; }

    /// <summary>The TLS client certificate for a new connection (with its private key); null: none.</summary>
    public Func<X509Certificate2?>? ClientCertificate { get; init; }

    /// <summary>Credentials of a fixed bearer credential alone.</summary>
    public static DiscoveryCredentials Bearer(string token) => new() { Token = () => token };
}
