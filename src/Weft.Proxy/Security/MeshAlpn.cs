using System.Net.Security;

namespace Weft.Proxy.Security;

/// <summary>
/// The ALPN protocols of a sidecar-to-sidecar mTLS connection: what the tunnel carries. <c>h2</c> and <c>http/1.1</c>
/// are served by the peer's HTTP layer (the app port in <c>weft-dst-port</c>); <c>weft-tcp</c> is an opaque byte stream
/// whose first line is a PROXY protocol v1 header naming the app port (<see cref="L4.ProxyProtocolHeader"/>).
/// </summary>
internal static class MeshAlpn
{
    public static readonly SslApplicationProtocol WeftTcp = new("weft-tcp"u8.ToArray());

    /// <summary>A tap connection from the control plane (<see cref="Tap.TapEndpoint"/>).</summary>
    public static readonly SslApplicationProtocol WeftTap = new("weft-tap"u8.ToArray());

    public static readonly List<SslApplicationProtocol> Server = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11, WeftTcp, WeftTap];

    /// <summary>The protocol a pooled HTTP connection agrees: h2 for an HTTP/2 request's pool, else http/1.1.</summary>
    public static SslApplicationProtocol ForHttp(System.Net.Http.SocketsHttpConnectionContext context) =>
        context.InitialRequestMessage.Version.Major >= 2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11;
}
