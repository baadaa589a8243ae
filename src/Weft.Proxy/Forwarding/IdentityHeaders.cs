using Microsoft.AspNetCore.Http;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Request headers that claim who the caller is, in the form meshes use to tell an app its caller's verified identity
/// (<c>X-Forwarded-Client-Cert</c>, Envoy's). Weft does not set them: the caller's identity is the one its mTLS
/// handshake proved, and the pod's authorization policy reads that. So the inbound listener removes any a caller sent,
/// on both paths, before the policy or the app sees the request: a header can never pass for that proof.
/// </summary>
internal static class IdentityHeaders
{
    public const string ForwardedClientCert = "X-Forwarded-Client-Cert";

    /// <summary><see cref="ForwardedClientCert"/> in ASCII, for the HTTP/1.1 fast path's header parser.</summary>
    public static ReadOnlySpan<byte> ForwardedClientCertAscii => "x-forwarded-client-cert"u8;

    public static void Strip(IHeaderDictionary headers) => headers.Remove(ForwardedClientCert);
}
