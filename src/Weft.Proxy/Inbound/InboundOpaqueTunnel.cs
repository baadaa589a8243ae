using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Proxy.L4;

namespace Weft.Proxy.Inbound;

/// <summary>
/// An opaque tunnel into the pod, from a peer sidecar (ALPN <c>weft-tcp</c>, <see cref="InboundTlsMiddleware"/>; or in
/// plaintext when mTLS is off) or the local kube-proxy (plaintext, permissive mode, <see cref="InboundPlaintextMiddleware"/>):
/// the PROXY header names the app
/// port on this pod; then bytes both ways. A missing or malformed header, or one naming a port of the sidecar's own,
/// closes the connection (logged). So does a connection the pod's authorization policy does not admit (issue 14),
/// decided on the caller's verified identity and the app port before the app is dialled: no byte reaches it.
/// </summary>
internal sealed class InboundOpaqueTunnel(
    IPAddress podIp, Func<int, bool> isOwnPort, ILogger logger, InboundAuthorization? authorization = null, Metrics.ProxyMetrics? metrics = null)
{
    /// <param name="stream">The connection's bytes (decrypted, from a peer sidecar), the PROXY header first.</param>
    /// <param name="remote">The connection's remote address, for the log.</param>
    /// <param name="peerIdentity">The verified mTLS peer's SPIFFE ID; null for plaintext.</param>
    /// <param name="progress">The connection's, marked a tunnel (never shed) once the app is dialled.</param>
    /// <param name="ct">Cancelled when the connection or the proxy stops.</param>
    public async Task ServeAsync(Stream stream, EndPoint? remote, string? peerIdentity, ConnectionProgress? progress, CancellationToken ct)
    {
        var peer = peerIdentity ?? "plaintext";
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

        if (!Admits(authorization, peerIdentity, target, logger))
        {
            return;
        }

        progress?.Tunnelled();
        var counts = metrics?.OpenConnection(Metrics.InboundLabels.Base(target, peerIdentity));
        try
        {
            await LocalApp.PumpAsync(stream, podIp, target, logger, ct, counts);
        }
        finally
        {
            counts?.Close();
        }
    }

    /// <summary>Whether an L4 connection from <paramref name="peerIdentity"/> to the app's <paramref name="port"/> may go on (logged when not).</summary>
    internal static bool Admits(InboundAuthorization? authorization, string? peerIdentity, int port, ILogger logger)
    {
        switch (authorization?.DecideConnection(peerIdentity, port) ?? InboundVerdict.Allowed)
        {
            case InboundVerdict.Allowed:
                return true;
            case InboundVerdict.NoPolicy:
                ProxyLog.NoInboundPolicy(logger, "connection", port, peerIdentity ?? "(plaintext)");
                return false;
            default:
                return false; // logged (once per interval) by the authorization
        }
    }
}
