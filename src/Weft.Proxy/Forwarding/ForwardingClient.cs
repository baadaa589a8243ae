using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Weft.Proxy.External;
using Weft.Proxy.Security;
using Weft.Routing.Policy;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// The proxy's pooled HTTP clients: <see cref="Invoker"/> for plaintext hops (the local app, sidecar-less pods, peers
/// when mTLS is off), and one mTLS pool per expected peer identity (<see cref="InvokerFor"/>), whose connect callback
/// does the TLS handshake, so handshakes happen per pooled connection, not per request, and a connection made for one
/// identity is never reused for another.
/// </summary>
internal sealed class ForwardingClient : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _mtls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _originating = new(StringComparer.Ordinal);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TlsOriginationPolicy, string> _originationKeys = [];
    private readonly MeshConnector? _connector;
    private readonly MeshConnector _meshConnector;
    private readonly ExternalConnector _external;
    private readonly bool _ownHttp2;

    /// <param name="connector">Opens the mesh hops (mTLS to peer sidecars when it has an identity).</param>
    /// <param name="external">Opens the hops outside the mesh.</param>
    /// <param name="ownHttp2">Whether HTTP/2-only requests go through Weft's own HTTP/2 client (<see cref="ProxyOptions.OwnHttp2Client"/>).</param>
    public ForwardingClient(MeshConnector connector, ExternalConnector external, bool ownHttp2)
    {
        _connector = connector is { MtlsEnabled: true } ? connector : null;
        _meshConnector = connector;
        _external = external;
        _ownHttp2 = ownHttp2;
        Invoker = new HttpMessageInvoker(WithHttp2(NewHandler(), static async (host, port, ct) => await MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false)));
    }

    /// <summary>
    /// The pool's handler: HTTP/2-only requests over Weft's own HTTP/2 client (<see cref="Http2.Http2Handler"/>) when it is
    /// on, opening its connections with <paramref name="connect"/> within the pool's ConnectTimeout, the rest through
    /// <paramref name="handler"/>.
    /// </summary>
    private HttpMessageHandler WithHttp2(SocketsHttpHandler handler, Http2.Http2Connect connect) =>
        _ownHttp2 ? new Http2.Http2Handler(handler, connect, handler.ConnectTimeout) : handler;

    public HttpMessageInvoker Invoker { get; }

    /// <summary>Whether hops to peer sidecars are mTLS.</summary>
    public bool Mtls => _connector is not null;

    /// <summary>Sidecar-to-sidecar and sidecar-to-app hops are HTTP/1.1 (inside mTLS between sidecars).</summary>
    public ForwarderRequestConfig RequestConfig { get; } = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromSeconds(100),
    };

    /// <summary>HTTP/2 requests (gRPC, h2c) stay HTTP/2 on every hop: ALPN h2 inside mTLS, prior knowledge to the app.</summary>
    public ForwarderRequestConfig Http2Config { get; } = new()
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = TimeSpan.FromSeconds(100),
    };

    /// <summary>
    /// gRPC calls: HTTP/2 only (never downgraded to HTTP/1.1) and no idle timeout, so a long-lived stream that is quiet
    /// for a while is not cut; the call's own deadline (grpc-timeout, route timeouts) bounds it instead.
    /// </summary>
    public ForwarderRequestConfig GrpcConfig { get; } = new()
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>HTTP/1.1 Upgrade (WebSocket, HTTPRouteBackendProtocolWebSocket): an upgraded connection may idle for long.</summary>
    public ForwarderRequestConfig UpgradeConfig { get; } = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// The hop's HTTP version: an upgrade stays HTTP/1.1 (YARP would otherwise try WebSocket over HTTP/2 CONNECT); gRPC,
    /// an HTTP/2 client, or a backend whose appProtocol is HTTP/2 (<paramref name="backendAppProtocol"/> "http2": h2c,
    /// grpc, kubernetes.io/h2c) get HTTP/2; anything else HTTP/1.1. To an <paramref name="external"/> backend the
    /// client's version does not count: a server outside the mesh speaks what its XBackend's protocol says.
    /// </summary>
    public ForwarderRequestConfig ConfigFor(Microsoft.AspNetCore.Http.HttpContext context, string? backendAppProtocol = null, bool external = false)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            return UpgradeConfig;
        }

        if (Grpc.GrpcCall.IsGrpc(context.Request))
        {
            return GrpcConfig;
        }

        var http2 = backendAppProtocol == BackendAppProtocol.Http2 || (!external && Microsoft.AspNetCore.Http.HttpProtocol.IsHttp2(context.Request.Protocol));
        return http2 ? Http2Config : RequestConfig;
    }

    /// <summary>The mTLS pool whose connections are to a peer that proved <paramref name="identity"/>.</summary>
    public HttpMessageInvoker InvokerFor(string identity) =>
        _mtls.TryGetValue(identity, out var invoker) ? invoker : _mtls.GetOrAdd(identity, static (id, self) =>
        {
            var handler = NewHandler();
            handler.ConnectCallback = (context, ct) => self._connector!.ConnectHttpAsync(context, id, ct);
            return new HttpMessageInvoker(self.WithHttp2(handler, (host, port, ct) => self._connector!.ConnectHttpAsync(host, port, id, SslApplicationProtocol.Http2, ct)));
        }, this);

    /// <summary>
    /// Where an attempt goes: to an external host's address, or to a mesh endpoint's app under TLS Weft originates (each
    /// without a <c>weft-*</c> header: its sidecar, if any, sees opaque bytes); else the mesh hop to its sidecar.
    /// </summary>
    public (string Prefix, HttpMessageInvoker Invoker, bool ViaSidecar) Route(BackendPolicy backend, EndpointPolicy endpoint, int peerInboundPort)
    {
        if (backend.External is { } external)
        {
            var (prefix, invoker) = RouteExternal(endpoint, external);
            return (prefix, invoker, false);
        }

        if (backend.Tls is { } tls)
        {
            var (prefix, invoker) = RouteOriginating(endpoint, tls);
            return (prefix, invoker, false);
        }

        return Route(endpoint, peerInboundPort);
    }

    /// <summary>
    /// How a request reaches <paramref name="endpoint"/>: through its sidecar's inbound port (mTLS when this proxy has an
    /// identity; <c>weft-dst-port</c> names the app port), or, for a pod without a sidecar (no identity in discovery while
    /// mTLS is on), in plaintext straight to its target port.
    /// </summary>
    public (string Prefix, HttpMessageInvoker Invoker, bool ViaSidecar) Route(Weft.Routing.Policy.EndpointPolicy endpoint, int peerInboundPort)
    {
        var hop = NextHop.To(endpoint, Mtls, peerInboundPort);
        return ("http://" + Authority.Format(hop.Address, hop.Port), hop.Identity is { } identity ? InvokerFor(identity) : Invoker, hop.ViaSidecar);
    }

    /// <summary>
    /// How a request reaches <paramref name="endpoint"/> (one resolved address) of an external backend: straight there,
    /// never via a sidecar; in plaintext, or through the pool that originates <paramref name="backend"/>'s TLS. The Host
    /// the backend sees is the transformer's to set (<see cref="ExternalBackendPolicy.Authority"/>).
    /// </summary>
    public (string Prefix, HttpMessageInvoker Invoker) RouteExternal(EndpointPolicy endpoint, ExternalBackendPolicy backend)
    {
        if (backend.Tls is not { } tls)
        {
            return ("http://" + Authority.Format(endpoint.Address, endpoint.Port), Invoker);
        }

        // https: the connect callback returns the SslStream it authenticated, which the handler uses as it is (no second
        // TLS), and HTTP/2 requests carry :scheme https as a TLS server expects.
        var prefix = "https://" + Authority.Format(endpoint.Address, endpoint.Port);

        // One pool per origination (SNI, roots, names, host): a connection made under one is never reused under
        // another. Each discovery answer brings new policy instances, so the key is the policy's value, worked out once
        // per instance; pools grow only with distinct configurations.
        var key = _originationKeys.GetValue(tls, p => OriginationKey(p, backend.Hostname));
        return (prefix, OriginatingPool(key, (context, ct) =>
            _external.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, tls, backend.Hostname, MeshAlpn.ForHttp(context), ct)));
    }

    /// <summary>
    /// How a request reaches <paramref name="endpoint"/> of a Service backend whose port a BackendTLSPolicy covers: its
    /// app port named by a PROXY header inside the mTLS hop to its sidecar (or straight to the app for a pod without
    /// one), then the TLS <paramref name="tls"/> asks for, end to end with the app. One pool per (hop identity,
    /// origination), so a connection is reused only for the same peer and the same checks.
    /// </summary>
    public (string Prefix, HttpMessageInvoker Invoker) RouteOriginating(EndpointPolicy endpoint, TlsOriginationPolicy tls)
    {
        var key = (endpoint.Identity ?? "") + "|" + _originationKeys.GetValue(tls, p => OriginationKey(p, p.ServerName));
        var prefix = "https://" + Authority.Format(endpoint.Address, endpoint.Port); // as in RouteExternal
        var identity = endpoint.Identity;
        return (prefix, OriginatingPool(key, (context, ct) => _external.ConnectOriginatingAsync(_meshConnector,
            new EndpointPolicy { Address = context.DnsEndPoint.Host, Port = context.DnsEndPoint.Port, Identity = identity }, tls, MeshAlpn.ForHttp(context), ct)));
    }

    /// <summary>The pool of <paramref name="key"/>, made on first use with <paramref name="connect"/> as its connect callback (the authenticated TLS stream).</summary>
    private HttpMessageInvoker OriginatingPool(string key, Func<SocketsHttpConnectionContext, CancellationToken, Task<Stream>> connect) =>
        _originating.TryGetValue(key, out var invoker) ? invoker : _originating.GetOrAdd(key, static (_, connect) =>
        {
            var handler = NewHandler();
            handler.ConnectCallback = async (context, ct) => await connect(context, ct).ConfigureAwait(false);
            return new HttpMessageInvoker(handler);
        }, connect);

    private static string OriginationKey(TlsOriginationPolicy tls, string hostname)
    {
        var roots = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", tls.CaCertificatesPem))));
        var names = string.Join(",", tls.SubjectAltNames.Select(n => $"{n.Type}={n.Value}"));
        return $"{hostname}|{tls.ServerName}|{roots}|{names}";
    }

    public void Dispose()
    {
        Invoker.Dispose();
        foreach (var invoker in _mtls.Values.Concat(_originating.Values))
        {
            invoker.Dispose();
        }
    }

    /// <summary>A pool as the sidecar's are set up (the h2-client benchmark builds its pools here too).</summary>
    internal static SocketsHttpHandler NewHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ActivityHeadersPropagator = null,
    };
}

/// <summary>
/// Where a request or an opaque connection for <c>endpoint</c> goes next, one rule for both: its sidecar's inbound
/// port, over mTLS expecting its identity (the app port named by <c>weft-dst-port</c>, or a PROXY header for opaque
/// bytes); a pod without a sidecar (no identity in discovery while mTLS is on) straight at its target port in plaintext;
/// with mTLS off, the sidecar's inbound port in plaintext.
/// </summary>
internal readonly record struct NextHop(string Address, int Port, string? Identity, bool ViaSidecar)
{
    public static NextHop To(Weft.Routing.Policy.EndpointPolicy endpoint, bool mtls, int peerInboundPort) =>
        !mtls ? new(endpoint.Address, peerInboundPort, null, true)
        : endpoint.Identity is { } identity ? new(endpoint.Address, peerInboundPort, identity, true)
        : new(endpoint.Address, endpoint.Port, null, false);
}
