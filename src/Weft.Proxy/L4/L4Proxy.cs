using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Security;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Proxy.L4;

/// <summary>
/// The outbound L4 path for a tunnelled connection (CONNECT host:port): decides between the HTTP layer and an opaque
/// byte stream, and serves the latter. The destination's policy decides first: TCPRoute/TLSRoute ports are always L4.
/// Otherwise the first bytes do (<see cref="ProtocolDetector"/>): HTTP/1.1 and the HTTP/2 preface go to the HTTP layer,
/// anything else (a ClientHello, a server-first protocol) is opaque TCP to the Service's endpoints, inside mTLS.
/// </summary>
internal sealed class L4Proxy(IDestinationSource destinations, MeshConnector connector, External.ExternalConnector externals, PowerOfTwoChoices balancer,
    Outbound.OutsideMesh outside, TimeSpan detectionBound, ILogger logger, Metrics.ProxyMetrics? metrics = null)
{
    private static readonly TimeSpan ClientHelloBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a destination known to speak HTTP (routes or appProtocol say so) waits for the client's first bytes: as
    /// long as a ClientHello, since there is no opaque protocol to fall back to. The short <c>detectionBound</c> is for
    /// ports that may carry a server-first protocol; applied here, a client slow to send its preface (a loaded node)
    /// would have its HTTP/2 connection closed unanswered.
    /// </summary>
    private static readonly TimeSpan HttpFirstBytesBound = ClientHelloBound;

    /// <summary>Serves the connection as L4 and returns true, or returns false (having consumed nothing) for the HTTP layer.</summary>
    public async Task<bool> TryServeAsync(ConnectionContext connection, string host, int port, CancellationToken ct)
    {
        RouteTable? table = null;
        Exception? failed = null;
        try
        {
            table = await destinations.GetAsync(host, port, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failed = e; // HTTP requests get their 503 from the HTTP path (this failure carried to it); opaque connections are closed below
        }

        var policy = table?.Policy;
        var detected = DetectedProtocol.NeedMore;
        if (policy is null || !PolicyProtocol.IsTunnelled(policy.Protocol))
        {
            var bound = policy?.Protocol is PolicyProtocol.Http or PolicyProtocol.Grpc ? HttpFirstBytesBound : detectionBound;
            detected = await ProtocolDetector.DetectAsync(connection.Transport.Input, bound, ct).ConfigureAwait(false);
            if (detected is DetectedProtocol.Http1 or DetectedProtocol.Http2)
            {
                if (detected == DetectedProtocol.Http2)
                {
                    H2cFeatures.Set(connection);
                }

                if (failed is not null)
                {
                    Outbound.DestinationLookup.Failed(connection.Features, host, port, failed);
                }

                return false;
            }

            if (failed is not null)
            {
                ProxyLog.DiscoveryFailed(logger, host, port, failed);
                return true;
            }
        }

        var client = connection.RemoteEndPoint as IPEndPoint;
        if (policy is null && detected == DetectedProtocol.Tls)
        {
            policy = await DeclaredByServerNameAsync(connection, host, port, ct).ConfigureAwait(false);
        }

        if (policy is { DeclaresExternalHost: true } && detected == DetectedProtocol.Tls)
        {
            // The app's own TLS to a declared host (by its SNI, or CONNECT api.example.test:443): not wrapped in the XBackend's.
            policy = ForAppTls(policy);
        }

        if (policy is null)
        {
            await ServeOutsideMeshAsync(connection, host, port, ct).ConfigureAwait(false);
            return true;
        }

        string? serverName = null;
        if (policy.Protocol == PolicyProtocol.Tls)
        {
            (_, serverName) = await ProtocolDetector.ReadServerNameAsync(connection.Transport.Input, ClientHelloBound, ct).ConfigureAwait(false);
        }

        var plan = ConnectionPlanner.Plan(policy, serverName, Random.Shared.NextDouble());
        if (plan.Backend is not { } backend)
        {
            ProxyLog.L4Rejected(logger, host, port, plan.Rejected!);
            return true;
        }

        var connected = backend.External is { } external
            ? await ConnectExternalAsync(backend, external, ct).ConfigureAwait(false)
            : await ConnectAsync(backend, client, ct).ConfigureAwait(false);
        if (connected is not var (endpoint, upstream))
        {
            return true;
        }

        using var lease = balancer.LoadOf(endpoint).Begin();

        var counts = metrics?.OpenConnection(Outbound.OutboundHandler.Labels(policy, plan.Rule?.Origin, backend, endpoint));
        try
        {
            await using (upstream.ConfigureAwait(false))
            {
                await using var local = new DuplexPipeStream(connection.Transport);
                var (up, down) = await BytePump.RunAsync(local, upstream, ct, counts).ConfigureAwait(false);
                ProxyLog.L4Closed(logger, host, port, $"{backend.Namespace}/{backend.Name}", endpoint.Address, endpoint.Port, serverName, up, down);
            }
        }
        finally
        {
            counts?.Close();
        }

        return true;
    }

    /// <summary>An opaque stream to one endpoint of a Service backend (through its sidecar), or null having logged why not.</summary>
    private async Task<(EndpointPolicy, Stream)?> ConnectAsync(BackendPolicy backend, IPEndPoint? client, CancellationToken ct)
    {
        var endpoint = backend.Endpoints[balancer.Pick(backend.Endpoints, Random.Shared)];
        try
        {
            // A BackendTLSPolicy on the port: the client's bytes go inside TLS the sidecar originates to the app.
            return (endpoint, backend.Tls is { } tls
                ? await externals.ConnectOriginatingAsync(connector, endpoint, tls, alpn: null, ct, client).ConfigureAwait(false)
                : await connector.ConnectOpaqueAsync(endpoint, client, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            ProxyLog.ForwardFailed(logger, "L4Connect", endpoint.Address, endpoint.Port, backend.Namespace, backend.Name, e.Message);
            return null;
        }
    }

    /// <summary>
    /// An opaque stream to an external backend (an XBackend): its addresses as this sidecar resolves its name, tried in
    /// balancer order until one connects (with TLS originated when the XBackend asks); none connecting, the name is asked
    /// of DNS again next time. Null having logged why not.
    /// </summary>
    private async Task<(EndpointPolicy, Stream)?> ConnectExternalAsync(BackendPolicy backend, ExternalBackendPolicy external, CancellationToken ct)
    {
        List<EndpointPolicy> left;
        try
        {
            left = [.. await externals.EndpointsAsync(external, ct).ConfigureAwait(false)];
        }
        catch (External.ExternalResolutionException e)
        {
            ProxyLog.ForwardFailed(logger, "L4Resolve", external.Hostname, external.Port, backend.Namespace, backend.Name, e.Message);
            return null;
        }

        while (left.Count > 0)
        {
            var endpoint = left[balancer.Pick(left, Random.Shared)];
            left.Remove(endpoint);
            try
            {
                return (endpoint, await externals.ConnectAsync(endpoint.Address, endpoint.Port, external.Tls, external.Hostname, alpn: null, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                ProxyLog.ForwardFailed(logger, "L4Connect", endpoint.Address, endpoint.Port, backend.Namespace, backend.Name, e.Message);
                if (e is System.Security.Authentication.AuthenticationException)
                {
                    return null; // the server's certificate is refused: another address of the same name would be no better
                }
            }
        }

        externals.Unreachable(external);
        return null;
    }

    /// <summary>
    /// The app's own TLS to an address the mesh does not know (it resolved an external name itself; captured): when its
    /// ClientHello names a host an XBackend of its namespace declares on this port, the connection goes to that XBackend
    /// through the sidecar's own resolution of the name, never to the address the app chose (so a forged SNI reaches
    /// only what the namespace declared), its TLS passed through as it is: the app originates it, not the sidecar.
    /// </summary>
    private async Task<DestinationPolicy?> DeclaredByServerNameAsync(ConnectionContext connection, string host, int port, CancellationToken ct)
    {
        if (!External.ExternalResolver.TryParseLiteral(host, out _))
        {
            return null; // a name was looked up already
        }

        var (_, serverName) = await ProtocolDetector.ReadServerNameAsync(connection.Transport.Input, ClientHelloBound, ct).ConfigureAwait(false);
        return (await outside.DeclaredAsync(host, serverName, port, ct).ConfigureAwait(false))?.Policy;
    }

    /// <summary>A declared host's policy for a connection carrying the app's own TLS: its bytes relayed to the host as they are.</summary>
    private static DestinationPolicy ForAppTls(DestinationPolicy declared) => declared with
    {
        Protocol = PolicyProtocol.Tcp,
        DefaultBackend = declared.DefaultBackend! with { External = declared.DefaultBackend.External! with { Tls = null } },
    };

    /// <summary>Not a mesh destination: plain TCP to where the app sent it when the client's outbound policy allows it (<see cref="Outbound.OutsideMesh"/>), else closed.</summary>
    private async Task ServeOutsideMeshAsync(ConnectionContext connection, string host, int port, CancellationToken ct)
    {
        var verdict = await outside.DecideAsync(host, port, ct).ConfigureAwait(false);
        if (verdict.Address is not { } address)
        {
            return;
        }

        Stream upstream;
        try
        {
            upstream = await externals.ConnectAsync(address.ToString(), port, tls: null, host, alpn: null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            ProxyLog.ForwardFailed(logger, "L4Connect", host, port, "", "(outside the mesh)", e.Message);
            return;
        }

        await using (upstream.ConfigureAwait(false))
        {
            await using var local = new DuplexPipeStream(connection.Transport);
            await BytePump.RunAsync(local, upstream, ct).ConfigureAwait(false);
        }
    }
}
