using System.Net;
using Weft.Discovery.Identity;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// One sidecar on 127.0.0.1 with OS-assigned ports, a static policy map and its HTTP/1.1 fast path set explicitly (so
/// the tests do not depend on <c>WEFT_HTTP1_FAST_PATH</c>), for requests to its outbound listener. The peers' inbound
/// port is its own (a one-pod mesh: endpoints on 127.0.0.1 are apps behind this same sidecar) unless a test sets
/// <c>peerInboundPort</c>, e.g. to a <see cref="ScriptedApp"/> that plays the peer sidecar and shows what it was sent.
/// </summary>
public sealed class OutboundProxy : IAsyncDisposable
{
    private readonly Sidecar _sidecar;

    private OutboundProxy(Sidecar sidecar) => _sidecar = sidecar;

    public RunningProxy Proxy => _sidecar.Proxy;

    public CapturedLogs Logs => _sidecar.Logs;

    public IPEndPoint Outbound => _sidecar.Outbound;

    public IPEndPoint Inbound => _sidecar.Inbound;

    public static Task<OutboundProxy> StartAsync(params (string HostPort, DestinationPolicy Policy)[] destinations) =>
        StartAsync(destinations, fastPath: true);

    public static Task<OutboundProxy> StartAsync(
        IEnumerable<(string HostPort, DestinationPolicy Policy)> destinations,
        bool fastPath,
        int? peerInboundPort = null,
        IdentitySnapshot? identity = null,
        string podName = "client") =>
        StartAsync(new StaticDestinationSource(destinations.Select(d => KeyValuePair.Create(d.HostPort, d.Policy))), fastPath, peerInboundPort, identity, podName);

    public static async Task<OutboundProxy> StartAsync(
        IDestinationSource destinations,
        bool fastPath,
        int? peerInboundPort = null,
        IdentitySnapshot? identity = null,
        string podName = "client")
    {
        var sidecar = await Sidecar.StartAsync(options => options with
        {
            PodName = podName,
            PeerInboundPort = peerInboundPort,
            Identity = identity,
            Destinations = destinations,
            Http1FastPath = fastPath,
            // A tunnel's first bytes come right after the client has read the 200; the bound only matters under load.
            ProtocolDetectionTimeout = TimeSpan.FromSeconds(5),
        });
        return new OutboundProxy(sidecar);
    }

    /// <summary>
    /// An absolute-form GET for the outbound listener (a proxy request); its Host is the URL's authority unless
    /// <paramref name="host"/> says otherwise.
    /// </summary>
    public static string Get(string url, string extra = "", string? host = null) =>
        $"GET {url} HTTP/1.1\r\nHost: {host ?? new Uri(url).Authority}\r\n{extra}\r\n";

    /// <summary>A raw client connection to the outbound listener.</summary>
    public Task<RawConnection> ConnectAsync() => RawConnection.OpenAsync(Outbound);

    /// <summary>A raw client connection through a CONNECT tunnel to <paramref name="target"/>, its 200 read.</summary>
    public async Task<RawConnection> TunnelAsync(string target)
    {
        var client = await ConnectAsync();
        await client.SendAsync(Connect(target));
        var established = await ReadEstablishedAsync(client);
        Assert.Equal("HTTP/1.1 200 Connection established", established.StatusLine);
        return client;
    }

    public static string Connect(string target) => $"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n";

    /// <summary>Reads the answer to CONNECT: RFC 9112 6.3 says a 2xx one has no body (the tunnel starts after its blank line), as one to HEAD.</summary>
    public static Task<RawResponse> ReadEstablishedAsync(RawConnection client) => client.ReadResponseAsync(requestWasHead: true);

    /// <summary>Sends one request on a new connection and reads its response.</summary>
    public async Task<RawResponse> ExchangeAsync(string request)
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(request);
        return await client.ReadResponseAsync();
    }

    public Task<string> MetricsAsync() => _sidecar.MetricsAsync();

    public Task<string> ConnectionsAsync() => _sidecar.ConnectionsAsync();

    /// <summary>The outbound counter of <paramref name="statusClass"/> (e.g. "2xx", "total") in <c>/stats</c>.</summary>
    public Task<long> OutboundStatAsync(string statusClass) => _sidecar.OutboundStatAsync(statusClass);

    public ValueTask DisposeAsync() => _sidecar.DisposeAsync();
}
