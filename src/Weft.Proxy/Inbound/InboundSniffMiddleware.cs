using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Kestrel connection middleware of the inbound listener: the first byte tells TLS (0x16, a ClientHello) from plaintext.
/// With mTLS on, TLS goes to <see cref="InboundTlsMiddleware"/> and anything else to <see cref="InboundPlaintextMiddleware"/>;
/// a proxy without identity (mTLS off, <paramref name="tls"/> null) takes plaintext only. A connection closed or silent
/// before its first byte is closed, <paramref name="firstBytes"/> after its accept (the TLS handshake time with mTLS on:
/// a peer's handshake time counts from the accept, the sniffed byte included). (Connections redirected here from an app port never get this far:
/// <see cref="CapturedInboundMiddleware"/>.)
/// </summary>
internal sealed class InboundSniffMiddleware(ConnectionDelegate? tls, ConnectionDelegate plaintext, TimeSpan firstBytes, CancellationToken stopping)
{
    /// <summary>How long a plaintext peer may stay silent before its first bytes say what it speaks (a PROXY header, the HTTP/2 preface).</summary>
    public static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    private const byte TlsHandshakeRecord = 0x16;

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        int first;
        // Not connection.ConnectionClosed: Kestrel fires it when the peer's input ends, and a peer that sends its bytes
        // and its FIN at once (a PROXY-headed stream, a captured request/response client) has bytes here to serve: a
        // cancelled token would refuse to read them. A peer that is gone shows as the end of its input or an error.
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(connection.Features.Get<AcceptedFeature>()?.Left(firstBytes) ?? firstBytes);
            try
            {
                first = await PeekFirstByteAsync(connection.Transport.Input, timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                return;
            }
        }

        if (first < 0)
        {
            return;
        }

        await (tls is not null && first == TlsHandshakeRecord ? tls(connection) : plaintext(connection));
    }

    private static async ValueTask<int> PeekFirstByteAsync(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            input.AdvanceTo(buffer.Start);
            if (!buffer.IsEmpty)
            {
                return buffer.FirstSpan[0];
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return -1;
            }
        }
    }
}
