namespace Weft.Discovery.Identity;

/// <summary>
/// Which end of a TLS connection a peer's X.509-SVID must be fit for (RFC 5280 4.2.1.12, extended key usage): a client
/// certificate needs id-kp-clientAuth, a server certificate id-kp-serverAuth. The mesh CA's workload certificates carry both.
/// </summary>
public enum SvidPurpose
{
    /// <summary>The peer is the TLS client: its certificate must carry clientAuth.</summary>
    Client,

    /// <summary>The peer is the TLS server: its certificate must carry serverAuth.</summary>
    Server,
}
