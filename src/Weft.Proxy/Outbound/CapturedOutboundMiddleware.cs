using Microsoft.AspNetCore.Connections;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Kestrel connection middleware of the outbound listener when the pod's traffic is captured (<c>weft init</c>'s rules,
/// <see cref="ProxyOptions.Capture"/>): a connection iptables redirected here is the app's connection to its original
/// destination (<see cref="Capture.CapturedDestination"/>), served as an <see cref="OutboundTunnel"/> to it from its first
/// byte, with nothing answered first (the app believes it is connected to its destination). A connection made to the
/// listener itself (an app using it as a proxy) goes on to <paramref name="next"/>.
/// </summary>
internal sealed class CapturedOutboundMiddleware(ConnectionDelegate next, OutboundTunnel tunnel)
{
    public Task OnConnectionAsync(ConnectionContext connection) =>
        Capture.CapturedDestination.OfRedirected(connection) is { } original
            ? tunnel.ServeAsync(connection, new OriginalDestination(original.Address.ToString(), original.Port), plaintext: true)
            : next(connection);
}
