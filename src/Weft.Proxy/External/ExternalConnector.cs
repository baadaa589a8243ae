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
internal sealed class ExternalConnector(ExternalResolver resolver, TimeProvider time)
{
    /// <summary>The backend's current addresses as endpoints (its host name as their workload, for metrics and logs).</summary>
    /// <exception cref="ExternalResolutionException">The name has no addresses; the message says why.</exception>
    public async ValueTask<IReadOnlyList<EndpointPolicy>> EndpointsAsync(ExternalBackendPolicy backend, CancellationToken ct)
    {
        var addresses = await resolver.ResolveAsync(backend.Hostname, ct).ConfigureAwait(false);
        var endpoints = new EndpointPolicy[addresses.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = new EndpointPolicy { Address = addresses[i].ToString(), Port = backend.Port, Workload = backend.Hostname };
        }

        return endpoints;
    }

    /// <summary>Every address tried for a request or connection failed to connect: ask DNS again next time.</summary>
    public void Unreachable(ExternalBackendPolicy backend) => resolver.Forget(backend.Hostname);

    /// <summary>
    /// A connection to <paramref name="address"/>:<paramref name="port"/> of the backend, inside TLS with
    /// <paramref name="tls"/> when set (agreeing <paramref name="alpn"/>; null offers none, for opaque bytes).
    /// </summary>
    public async Task<Stream> ConnectAsync(string address, int port, TlsOriginationPolicy? tls, string hostname, SslApplicationProtocol? alpn, CancellationToken ct)
    {
        var network = await MeshConnector.ConnectTcpAsync(address, port, ct).ConfigureAwait(false);
        if (tls is null)
        {
            return network;
        }

        try
        {
            return await TlsOriginator.ConnectAsync(network, $"{hostname}:{port} ({Authority(address, port)})", tls, alpn, time.GetUtcNow(), ct).ConfigureAwait(false);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Authority(string address, int port) => Forwarding.Authority.Format(address, port);
}
