using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

/// <summary>The proxy's one pooled HTTP client (keep-alive to every peer sidecar and local app) and the forwarding settings.</summary>
internal sealed class ForwardingClient : IDisposable
{
    public ForwardingClient()
    {
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ActivityHeadersPropagator = null,
        });
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>Sidecar-to-sidecar and sidecar-to-app hops are cleartext HTTP/1.1 for now (mTLS and h2 come later).</summary>
    public ForwarderRequestConfig RequestConfig { get; } = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromSeconds(100),
    };

    public void Dispose() => Invoker.Dispose();
}
