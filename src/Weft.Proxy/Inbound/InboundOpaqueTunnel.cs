using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Proxy.L4;

namespace Weft.Proxy.Inbound;

/// <summary>
/// An opaque tunnel into the pod, from a peer sidecar (ALPN <c>weft-tcp</c>, <see cref="InboundTlsMiddleware"/>; or in
/// plaintext when mTLS is off) or the local kube-proxy (plaintext, permissive mode, <see cref="InboundPlaintextMiddleware"/>):
/// the PROXY header names the app
/// port on this pod; then bytes both ways. A missing or malformed header, or one naming a port of the sidecar's own,
/// closes the connection (logged).
/// </summary>
internal sealed class InboundOpaqueTunnel(IPAddress podIp, Func<int, bool> isOwnPort, ILogger logger)
{
    /// <param name="stream">The connection's bytes (decrypted, from a peer sidecar), the PROXY header first.</param>
    /// <param name="remote">The connection's remote address, for the log.</param>
    /// <param name="peer">Who is at the other end, for the log: the peer's SPIFFE ID, or <c>plaintext</c>.</param>
    /// <param name="ct">Cancelled when the connection or the proxy stops.</param>
    public async Task ServeAsync(Stream stream, EndPoint? remote, string peer, CancellationToken ct)
    {
        int? port;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(InboundSniffMiddleware.FirstBytesTimeout);
            try
            {
                port = await ProxyProtocolHeader.ReadAsync(stream, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return;
            }
        }

        if (port is not int target || isOwnPort(target))
        {
            ProxyLog.BadTunnelHeader(logger, remote?.ToString(), peer);
            return;
        }

        await LocalApp.PumpAsync(stream, podIp, target, logger, ct);
    }
}
