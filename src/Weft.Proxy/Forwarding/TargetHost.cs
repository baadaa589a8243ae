using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// The Host a request carries on when it came without one (HTTP/1.0 allows that; an HTTP/1.1 request without Host is
/// Kestrel's 400, RFC 9112 3.2): an absolute-form target's authority (RFC 9112 3.2.2; Kestrel's AllowHostHeaderOverride
/// already puts it in place of a Host that was sent), else the authority the connection was going to (RFC 9112 3.3:
/// the target URI is rebuilt from it). Never left empty, or the forwarder would send the next hop's own address.
/// </summary>
internal static class TargetHost
{
    /// <param name="context">The request.</param>
    /// <param name="destination">Where the connection was going (a captured or tunnelled one's original destination), if known.</param>
    public static void Supply(HttpContext context, (string Host, int Port)? destination)
    {
        var headers = context.Request.Headers;
        if (!string.IsNullOrEmpty(headers.Host))
        {
            return;
        }

        if (context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } target
            && target.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Authority.Length > 0)
        {
            headers.Host = uri.Authority; // as Kestrel writes it when it overrides a Host: no userinfo, no default port
        }
        else if (destination is var (host, port) && Uri.TryCreate("http://" + Authority.Format(host, port) + "/", UriKind.Absolute, out var original))
        {
            headers.Host = original.Authority;
        }
    }
}
