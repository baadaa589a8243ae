using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Proxy.L4;

/// <summary>
/// Protocol detection on the outbound side: an HTTP/1.x request line (a method token and a space), the HTTP/2 client
/// preface (RFC 9113 3.4), a TLS handshake record (0x16, a ClientHello), else opaque TCP. It only peeks: every byte stays
/// in the pipe for whoever serves the connection next.
/// </summary>
internal static class ProtocolDetector
{
    private const int MaxMethodLength = 24;

    public static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static DetectedProtocol Detect(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return DetectedProtocol.NeedMore;
        }

        Span<byte> head = stackalloc byte[Math.Max(Http2Preface.Length, MaxMethodLength + 1)];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        head = head[..length];

        if (head[0] == 0x16)
        {
            return DetectedProtocol.Tls;
        }

        var prefix = Math.Min(length, Http2Preface.Length);
        if (head[..prefix].SequenceEqual(Http2Preface[..prefix]))
        {
            return prefix == Http2Preface.Length ? DetectedProtocol.Http2 : DetectedProtocol.NeedMore;
        }

        for (var i = 0; i < head.Length; i++)
        {
            var c = head[i];
            if (c == (byte)' ')
            {
                return i > 0 ? DetectedProtocol.Http1 : DetectedProtocol.Opaque;
            }

            // RFC 9110 method token; in practice upper-case letters (and '-' in extension methods).
            if (c is not ((>= (byte)'A' and <= (byte)'Z') or (byte)'-' or (byte)'_'))
            {
                return DetectedProtocol.Opaque;
            }
        }

        return head.Length > MaxMethodLength ? DetectedProtocol.Opaque : DetectedProtocol.NeedMore;
    }

    /// <summary>
    /// Peeks until the protocol is known. A client silent for <paramref name="bound"/> (it waits for the server to speak
    /// first: SMTP, MySQL...) or one that closes is opaque TCP.
    /// </summary>
    public static async ValueTask<DetectedProtocol> DetectAsync(PipeReader input, TimeSpan bound, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(bound);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return DetectedProtocol.Opaque;
            }

            var detected = Detect(result.Buffer);
            var decided = detected != DetectedProtocol.NeedMore || result.IsCompleted || result.IsCanceled;
            input.AdvanceTo(result.Buffer.Start, decided ? result.Buffer.Start : result.Buffer.End);
            if (decided)
            {
                return detected == DetectedProtocol.NeedMore ? DetectedProtocol.Opaque : detected;
            }
        }
    }

    /// <summary>Peeks until a whole ClientHello record is buffered, and returns its SNI (null: none, or not a ClientHello).</summary>
    public static async ValueTask<(bool IsClientHello, string? ServerName)> ReadServerNameAsync(PipeReader input, TimeSpan bound, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(bound);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (false, null);
            }

            var found = TlsClientHello.TryReadServerName(result.Buffer, out var name);
            var decided = found != ClientHelloResult.NeedMore || result.IsCompleted || result.Buffer.Length > TlsClientHello.MaxRecord;
            input.AdvanceTo(result.Buffer.Start, decided ? result.Buffer.Start : result.Buffer.End);
            if (decided)
            {
                return (found == ClientHelloResult.Parsed, name);
            }
        }
    }
}
