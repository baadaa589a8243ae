namespace Weft.Proxy.Inbound;

/// <summary>
/// The SPIFFE ID of the peer sidecar of an inbound mTLS connection, validated in the handshake; absent on plaintext
/// (permissive) connections. Never taken from a header.
/// </summary>
public interface IPeerIdentityFeature
{
    string PeerIdentity { get; }
}
