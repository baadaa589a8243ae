using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Discovery;
using Weft.Proxy.L4;
using Weft.Proxy.Security;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Kestrel connection middleware of the inbound listener for a connection that does not open with TLS
/// (<see cref="InboundSniffMiddleware"/>). With mTLS on (<paramref name="tls"/> set) it is refused (closed, logged) in
/// strict mode. Otherwise (permissive, or mTLS off) a PROXY header starts an <see cref="InboundOpaqueTunnel"/> (the local
/// kube-proxy, or a peer's opaque connection when mTLS is off: <see cref="Forwarding.NextHop"/>) and anything else is
/// HTTP with <c>weft-dst-port</c>. HTTP is HTTP/1.1, or h2c with prior
/// knowledge, which a peer uses for gRPC and HTTP/2 backends; Kestrel needs the ALPN feature trick to serve both on one
/// cleartext port (<see cref="H2cFeatures"/>).
/// </summary>
internal sealed class InboundPlaintextMiddleware(
    ConnectionDelegate next, MeshTls? tls, MtlsMode mode, InboundOpaqueTunnel opaque, Http1.Http1Relay? fastPath, ILogger logger, CancellationToken stopping)
{
    private readonly LogLimiter _refusals = new(ProxyLog.RefusalInterval, TimeProvider.System);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // stopping, not connection.ConnectionClosed (fired when the peer's input ends): a peer's bytes sent with its FIN
        // are still read and served (InboundSniffMiddleware); every wait below has its own bound.
        var ct = stopping;
        if (tls is not null && mode == MtlsMode.Strict)
        {
            tls.Connections.Refused();
            if (_refusals.TryTake(out var suppressed))
            {
                ProxyLog.PlaintextRefused(logger, connection.RemoteEndPoint?.ToString(), suppressed);
            }

            return; // closing without a byte of HTTP: strict mode has nothing to say to plaintext
        }

        var proxyHeader = await StartsWithProxyHeaderAsync(connection.Transport.Input, ct);
        if (proxyHeader is null)
        {
            return; // part of a PROXY signature, then silence
        }

        if (proxyHeader.Value)
        {
            await using var plain = new DuplexPipeStream(connection.Transport);
            // The peer's FIN is passed on as a half-close, the app's answer still owed.
            await opaque.ServeAsync(plain, connection.RemoteEndPoint, peerIdentity: null, connection.Features.Get<ConnectionProgress>(), ct);
            return;
        }

        DetectedProtocol protocol;
        try
        {
            protocol = await ProtocolDetector.DetectAsync(connection.Transport.Input, InboundSniffMiddleware.FirstBytesTimeout, ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (protocol == DetectedProtocol.Http2)
        {
            H2cFeatures.Set(connection);
        }

        await Http1.Http1Relay.ServeAsync(fastPath, connection, next, http1: protocol == DetectedProtocol.Http1, plaintext: true);
    }

    /// <summary>
    /// Whether the connection opens with a PROXY header's signature; null when the peer sent part of it and then nothing
    /// for <see cref="InboundSniffMiddleware.FirstBytesTimeout"/>. Bytes are only peeked, never consumed.
    /// </summary>
    private static async ValueTask<bool?> StartsWithProxyHeaderAsync(PipeReader input, CancellationToken ct)
    {
        CancellationTokenSource? timeout = null; // made only for a peer that has sent part of the signature and no more
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout?.Token ?? ct);
                var buffer = result.Buffer;
                var (matches, whole) = MatchSignature(buffer);
                var decided = !matches || whole || result.IsCompleted;
                input.AdvanceTo(buffer.Start, decided ? buffer.Start : buffer.End);
                if (decided)
                {
                    return matches && whole;
                }

                if (timeout is null)
                {
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(InboundSniffMiddleware.FirstBytesTimeout);
                }
            }
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !ct.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            timeout?.Dispose();
        }
    }

    /// <summary>Whether the bytes so far agree with the PROXY signature, and whether they hold all of it.</summary>
    private static (bool Matches, bool Whole) MatchSignature(in ReadOnlySequence<byte> buffer)
    {
        var signature = ProxyProtocolHeader.Signature;
        var n = (int)Math.Min(buffer.Length, signature.Length);
        Span<byte> head = stackalloc byte[signature.Length];
        buffer.Slice(0, n).CopyTo(head);
        return (head[..n].SequenceEqual(signature[..n]), n == signature.Length);
    }
}
