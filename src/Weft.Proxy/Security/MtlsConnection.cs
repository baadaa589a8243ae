using System.Net;
using System.Net.Security;
using System.Security.Authentication;

namespace Weft.Proxy.Security;

/// <summary>One live mTLS connection, as <c>/connections</c> on the admin port shows it.</summary>
internal sealed record MtlsConnection
{
    public required long Id { get; init; }

    /// <summary>inbound (a peer sidecar connected to us) or outbound (we connected to a peer).</summary>
    public required string Direction { get; init; }

    public EndPoint? Local { get; init; }

    public EndPoint? Remote { get; init; }

    public required string LocalIdentity { get; init; }

    public required string PeerIdentity { get; init; }

    public required SslProtocols Protocol { get; init; }

    public required TlsCipherSuite CipherSuite { get; init; }

    public required string Alpn { get; init; }

    public required DateTimeOffset Opened { get; init; }
}
