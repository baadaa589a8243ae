namespace Weft.Routing.Authorization;

/// <summary>
/// What the receiving sidecar knows of an inbound request or connection. <see cref="PeerIdentity"/> is the SPIFFE ID
/// from the verified mTLS peer certificate, null for plaintext: never from a header. For an L4 connection
/// <see cref="Method"/> and <see cref="Path"/> are null; for gRPC <see cref="Path"/> is "/service/method" and
/// <see cref="IsGrpc"/> is set. <see cref="Path"/> is the path alone (as the server decoded it, any '?' in it part of
/// the path); <see cref="Query"/> the query string without its '?', or null.
/// </summary>
public readonly record struct AuthorizationRequest(string? PeerIdentity, int Port, string? Method = null, string? Path = null, bool IsGrpc = false, string? Query = null)
{
    public bool IsL7 => Method is not null;
}
