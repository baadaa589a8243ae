using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Weft.Proxy.L4;
using Weft.Routing.Policy;

namespace Weft.Proxy.Security;

/// <summary>
/// Opens connections to endpoints where <see cref="Forwarding.NextHop"/> says, the one rule for HTTP and opaque hops:
/// mTLS to the endpoint's sidecar inbound port when discovery names its identity (<see cref="EndpointPolicy.Identity"/>),
/// plaintext straight to the pod's target port when it has none (a pod without a sidecar), and plaintext to the peer's
/// inbound port when this proxy has no identity at all (mTLS off: tests, or a proxy started without a token).
/// </summary>
internal sealed class MeshConnector(MeshTls? tls, Func<int> peerInboundPort)
{
    public bool MtlsEnabled => tls is not null;

    /// <summary>
    /// How long a TCP connect to a mesh hop may take: the kernel alone would try a peer that drops SYNs for about two
    /// minutes, which a client that has gone could leave behind (HTTP's pools have their own ConnectTimeout as well).
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A TCP connection to <paramref name="address"/>:<paramref name="port"/> within <see cref="ConnectTimeout"/>.</summary>
    public static Task<NetworkStream> ConnectTcpAsync(string address, int port, CancellationToken ct) => ConnectTcpAsync(address, port, ConnectTimeout, ct);

    /// <summary>A TCP connection within <paramref name="timeout"/>, a <see cref="TimeoutException"/> past it.</summary>
    public static async Task<NetworkStream> ConnectTcpAsync(string address, int port, TimeSpan timeout, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(address), port, bounded.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection to {address}:{port} within {timeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The <c>SocketsHttpHandler.ConnectCallback</c> of the mTLS pool for one expected identity.</summary>
    public ValueTask<Stream> ConnectHttpAsync(SocketsHttpConnectionContext context, string expectedIdentity, CancellationToken ct) =>
        ConnectHttpAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, expectedIdentity, MeshAlpn.ForHttp(context), ct);

    /// <summary>An mTLS connection to a peer sidecar that proved <paramref name="expectedIdentity"/>, agreeing <paramref name="alpn"/>.</summary>
    public async ValueTask<Stream> ConnectHttpAsync(string host, int port, string expectedIdentity, SslApplicationProtocol alpn, CancellationToken ct)
    {
        var network = await ConnectTcpAsync(host, port, ct).ConfigureAwait(false);
        try
        {
            return await tls!.ConnectAsync(network, expectedIdentity, alpn, network.Socket.LocalEndPoint, network.Socket.RemoteEndPoint, ct).ConfigureAwait(false);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// An opaque byte stream to <paramref name="endpoint"/>'s app port: through its sidecar (a PROXY header naming the
    /// app port, inside mTLS when the peer has an identity), or straight to the app port for a pod without one.
    /// </summary>
    public async Task<Stream> ConnectOpaqueAsync(EndpointPolicy endpoint, IPEndPoint? client, CancellationToken ct)
    {
        var hop = Forwarding.NextHop.To(endpoint, MtlsEnabled, peerInboundPort());
        var network = await ConnectTcpAsync(hop.Address, hop.Port, ct).ConfigureAwait(false);
        if (!hop.ViaSidecar)
        {
            return network;
        }

        try
        {
            Stream stream = hop.Identity is { } identity
                ? await tls!.ConnectAsync(network, identity, MeshAlpn.WeftTcp, network.Socket.LocalEndPoint, network.Socket.RemoteEndPoint, ct).ConfigureAwait(false)
                : network;
            await stream.WriteAsync(ProxyProtocolHeader.Format(client, endpoint.Address, endpoint.Port), ct).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
