using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Security;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Kestrel connection middleware of the inbound listener when the pod's traffic is captured (<c>weft init</c>'s rules
/// redirect every port of the pod here, <see cref="ProxyOptions.Capture"/>). A connection that was going to another port
/// (<see cref="Capture.CapturedDestination"/>) comes from outside the mesh, since peer sidecars dial the inbound port
/// itself: in strict mTLS it is closed without a byte (counted as refused), in permissive its bytes go to that app port
/// as they are; one for a port of the sidecar's own (its outbound listener, from outside the pod) is always closed.
/// Connections made to the inbound port go on to <paramref name="next"/>.
/// </summary>
internal sealed class CapturedInboundMiddleware(
    ConnectionDelegate next, MeshTls? tls, MtlsMode mode, IPAddress podIp, Func<int, bool> isOwnPort, ILogger logger, CancellationToken stopping,
    InboundAuthorization? authorization = null)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (Capture.CapturedDestination.OfRedirected(connection) is not { } original)
        {
            await next(connection);
            return;
        }

        var remote = connection.RemoteEndPoint?.ToString();
        if (isOwnPort(original.Port) || (tls is not null && mode == MtlsMode.Strict))
        {
            tls?.Connections.Refused();
            ProxyLog.CapturedRefused(logger, remote, original.Port,
                isOwnPort(original.Port) ? "a port of the sidecar's own, from outside the pod" : "the pod is strict mTLS");
            return; // nothing reaches the app without mTLS, and nothing is said
        }

        if (!InboundOpaqueTunnel.Admits(authorization, peerIdentity: null, original.Port, logger))
        {
            return; // the pod's authorization policy does not admit a plaintext caller to that port (issue 14)
        }

        connection.Features.Get<ConnectionProgress>()?.Tunnelled(); // a stream to the app from here: never shed
        await using var plain = new DuplexPipeStream(connection.Transport);
        // stopping, not connection.ConnectionClosed: Kestrel fires that when the client's input ends, and a client that
        // closes its write side after its request is owed the app's answer (the pump passes the half-close on).
        await LocalApp.PumpAsync(plain, podIp, original.Port, logger, stopping);
    }
}
