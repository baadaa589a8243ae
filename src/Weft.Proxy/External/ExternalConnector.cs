using System.Net;
using System.Net.Security;
using Weft.Proxy.Security;
using Weft.Routing.Policy;

namespace Weft.Proxy.External;

/// <summary>
/// The sidecar's way to a backend outside the mesh (an XBackend), for requests and opaque connections alike: the
/// addresses are the sidecar's own resolution of the backend's host name (never an address the app chose), each a
/// plain TCP connection with TLS originated when the backend asks for it. Nothing of the mesh goes out: no mTLS, no
/// PROXY header, no <c>weft-*</c> header (the hop is never "via a sidecar").
/// </summary>
/// <param name="resolver">The sidecar's resolver of external names.</param>
/// <param name="offLimits">Where the sidecar never connects (its own listeners, the control plane).</param>
/// <param name="time">The clock for certificate checks and the connect timeout.</param>
internal sealed class ExternalConnector(ExternalResolver resolver, Func<IPAddress, int, bool> offLimits, TimeProvider time)
{
    /// <summary>How long a connection to an external address, its TLS handshake included, may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The backend's current addresses as endpoints (its host name as their workload, for metrics and logs). An answer
    /// from DNS never sends the sidecar to this host's own addresses (loopback, link-local, unspecified, multicast) or
    /// to its listeners: whoever controls a name's records would otherwise reach what only the pod can. Addresses the
    /// operator gave (<c>--resolve</c>) are used as given, its own listeners excepted.
    /// </summary>
    /// <exception cref="ExternalResolutionException">The name has no address the sidecar may dial; the message says why.</exception>
    public async ValueTask<IReadOnlyList<EndpointPolicy>> EndpointsAsync(ExternalBackendPolicy backend, CancellationToken ct)
    {
        var addresses = await resolver.ResolveAsync(backend.Hostname, ct).ConfigureAwait(false);
        var fixedByOperator = resolver.IsFixed(backend.Hostname);
        var endpoints = new List<EndpointPolicy>(addresses.Count);
        foreach (var address in addresses)
        {
            if (!offLimits(address, backend.Port) && (fixedByOperator || !IsHostLocal(address)))
            {
                endpoints.Add(new EndpointPolicy { Address = address.ToString(), Port = backend.Port, Workload = backend.Hostname });
            }
        }

        return endpoints.Count > 0 ? endpoints : throw new ExternalResolutionException(backend.Hostname,
            $"its addresses ({string.Join(", ", addresses)}) are ones a sidecar does not connect to for an external host (loopback, link-local, unspecified, multicast, or its own listeners)");
    }

    /// <summary>An address of the host itself or of no host: loopback, unspecified, link-local, multicast, broadcast.</summary>
    internal static bool IsHostLocal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IsThisNetwork(address) || IPAddress.IsLoopback(address) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            return (bytes[0] == 169 && bytes[1] == 254) || bytes[0] >= 224;
        }

        return address.IsIPv6LinkLocal || address.IsIPv6Multicast;
    }

    /// <summary>"This host" rather than a destination: 0.0.0.0/8 or <c>::</c>, in any spelling (Linux connects them to loopback).</summary>
    internal static bool IsThisNetwork(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return address.Equals(IPAddress.IPv6Any);
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return bytes[0] == 0;
    }

    /// <summary>Every address tried for a request or connection failed to connect: ask DNS again next time.</summary>
    public void Unreachable(ExternalBackendPolicy backend) => resolver.Forget(backend.Hostname);

    /// <summary>
    /// A connection to <paramref name="address"/>:<paramref name="port"/> of the backend, inside TLS with
    /// <paramref name="tls"/> when set (agreeing <paramref name="alpn"/>; null offers none, for opaque bytes).
    /// </summary>
    public Task<Stream> ConnectAsync(string address, int port, TlsOriginationPolicy? tls, string hostname, SslApplicationProtocol? alpn, CancellationToken ct) =>
        BoundedAsync(
            async bounded => await MeshConnector.ConnectTcpAsync(address, port, bounded).ConfigureAwait(false),
            tls, $"{hostname}:{port} ({Authority(address, port)})", alpn, ct);

    /// <summary>
    /// TLS to the app of a mesh endpoint (a BackendTLSPolicy on its Service port): an opaque stream to its app port
    /// (through its sidecar when it has one), then the TLS <paramref name="tls"/> asks for over it.
    /// </summary>
    /// <param name="connector">The mesh's connector (mTLS to the endpoint's sidecar).</param>
    /// <param name="endpoint">The endpoint: its app port and, when it has a sidecar, its identity.</param>
    /// <param name="tls">The TLS to originate.</param>
    /// <param name="alpn">The protocol to agree, or null for opaque bytes.</param>
    /// <param name="ct">Cancels the connection.</param>
    /// <param name="client">The original client, for the PROXY header to the endpoint's sidecar.</param>
    public Task<Stream> ConnectOriginatingAsync(MeshConnector connector, EndpointPolicy endpoint, TlsOriginationPolicy tls, SslApplicationProtocol? alpn, CancellationToken ct,
        IPEndPoint? client = null) =>
        BoundedAsync(bounded => connector.ConnectOpaqueAsync(endpoint, client, bounded), tls, Authority(endpoint.Address, endpoint.Port), alpn, ct);

    /// <summary>
    /// <paramref name="transport"/>, then TLS over it when <paramref name="tls"/> is set, within <see cref="ConnectTimeout"/>:
    /// a black-holed address or a server that never finishes its handshake fails as a <see cref="TimeoutException"/>.
    /// </summary>
    private async Task<Stream> BoundedAsync(Func<CancellationToken, Task<Stream>> transport, TlsOriginationPolicy? tls, string target, SslApplicationProtocol? alpn, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(ConnectTimeout);
        try
        {
            var stream = await transport(bounded.Token).ConfigureAwait(false);

            // TlsOriginator disposes the transport when its handshake fails.
            return tls is null ? stream : await TlsOriginator.ConnectAsync(stream, target, tls, alpn, time.GetUtcNow(), bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"connecting to {target}{(tls is null ? "" : " with TLS")} took more than {ConnectTimeout.TotalSeconds:0} s", e);
        }
    }

    private static string Authority(string address, int port) => Forwarding.Authority.Format(address, port);
}
