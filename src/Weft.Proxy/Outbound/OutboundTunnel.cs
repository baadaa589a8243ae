using Microsoft.AspNetCore.Connections;

namespace Weft.Proxy.Outbound;

/// <summary>
/// A connection of the outbound listener whose bytes are for one destination — after <c>CONNECT host:port</c>
/// (<see cref="ConnectTunnelMiddleware"/>), or from its first byte when iptables redirected it here
/// (<see cref="CapturedOutboundMiddleware"/>). The destination is recorded as the connection's
/// <see cref="IOriginalDestinationFeature"/>; then L4 routes and protocol detection decide (<see cref="L4.L4Proxy"/>), and
/// HTTP goes to the fast path or Kestrel (<paramref name="http"/>), an HTTP/2 preface handed on by the relay untouched.
/// </summary>
internal sealed class OutboundTunnel(ConnectionDelegate http, L4.L4Proxy l4, Http1.Http1Relay? fastPath, CancellationToken stopping)
{
    /// <param name="connection">The captured connection.</param>
    /// <param name="destination">Where the client meant to connect (its original destination).</param>
    /// <param name="plaintext">The fast path may write to the client's socket directly (nothing else is queued before it).</param>
    public async Task ServeAsync(ConnectionContext connection, OriginalDestination destination, bool plaintext)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(destination);
        connection.Features.Set<IOriginalDestinationFeature>(destination);
        connection.Features.Get<ConnectionProgress>()?.Tunnelled(); // an established tunnel is never shed (issue 15)
        try
        {
            // Not ended by connection.ConnectionClosed: Kestrel fires it when the client's input ends, and a client that
            // sends its request and closes its write side (printf … | socat, nc -N) is owed the answer (BytePump keeps the
            // half-close). A client that is gone shows as an error, which ends the relay, or as the end of its input, which
            // ends its direction; the other then ends after BytePump.HalfClosedIdle without a byte.
            if (await l4.TryServeAsync(connection, destination.Host, destination.Port, stopping))
            {
                return;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }

        await Http1.Http1Relay.ServeAsync(fastPath, connection, http, http1: true, plaintext);
    }
}
