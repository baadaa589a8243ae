using System.Security.Cryptography.X509Certificates;

namespace Weft.Discovery.Identity;

/// <summary>
/// One issued identity, never changed once made: the proxy reads <see cref="WorkloadIdentity.Current"/> once per
/// handshake, so a handshake in flight during a rotation finishes with the snapshot it started with.
/// </summary>
/// <param name="Certificate">The leaf, with its private key, usable as an <c>SslStream</c> server or client certificate.</param>
/// <param name="TrustBundle">The mesh roots a peer's certificate must chain to (two during a root rotation).</param>
/// <param name="SpiffeId">The workload's SPIFFE ID, the leaf's only URI SAN.</param>
/// <param name="NotAfter">When the leaf expires.</param>
/// <param name="RenewAt">When <see cref="WorkloadIdentity"/> asks for the next one.</param>
public sealed record IdentitySnapshot(
    X509Certificate2 Certificate,
    X509Certificate2Collection TrustBundle,
    string SpiffeId,
    DateTimeOffset NotAfter,
    DateTimeOffset RenewAt);
