using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Weft.Echo.Http;

/// <summary>
/// HTTP/1.1 and h2c (HTTP/2 with prior knowledge, RFC 9113 §3.3) on one cleartext port, which Kestrel does
/// not do by itself: on a cleartext <see cref="HttpProtocols.Http1AndHttp2"/> endpoint it always picks HTTP/1.1
/// because there is no ALPN to go by.
/// </summary>
/// <remarks>
/// This connection middleware runs before Kestrel's HTTP layer. It peeks (never consumes) the first bytes; if
/// they are the HTTP/2 client preface it sets connection features that look like a TLS connection whose ALPN
/// chose "h2", and Kestrel's protocol selection then starts an HTTP/2 connection. Anything else is left alone
/// and gets HTTP/1.1. Because Kestrel then thinks the connection is TLS, its streams expect
/// <c>:scheme https</c>; the endpoint's server must set <see cref="KestrelServerOptions.AllowAlternateSchemes"/>
/// so that the client's <c>:scheme http</c> is accepted (and reported as the request's scheme).
/// </remarks>
internal static class H2cPriorKnowledge
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static ListenOptions UseH2cPriorKnowledge(this ListenOptions listen, TimeSpan prefaceTimeout)
    {
        // Kestrel's default; set only if needed, because setting it explicitly makes Kestrel log a misleading
        // "HTTP/2 is not enabled" warning for a cleartext endpoint.
        if (listen.Protocols != HttpProtocols.Http1AndHttp2)
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
        }

        listen.Use(next => async connection =>
        {
            bool isHttp2;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
            {
                timeout.CancelAfter(prefaceTimeout);
                try
                {
                    isHttp2 = await StartsWithPrefaceAsync(connection.Transport.Input, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // Silent or closed before sending a request line: nothing to serve.
                    return;
                }
            }

            if (isHttp2)
            {
                connection.Features.Set<ITlsConnectionFeature>(CleartextHttp2.Instance);
                connection.Features.Set<ITlsApplicationProtocolFeature>(CleartextHttp2.Instance);
            }

            await next(connection);
        });
        return listen;
    }

    /// <summary>True if the connection starts with the HTTP/2 preface; reads only until that is decided.</summary>
    internal static async ValueTask<bool> StartsWithPrefaceAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var decided = true;
            var isPreface = false;
            try
            {
                var prefixLength = (int)Math.Min(buffer.Length, Preface.Length);
                if (!StartsWith(buffer.Slice(0, prefixLength), Preface[..prefixLength]))
                {
                    isPreface = false;
                }
                else if (buffer.Length >= Preface.Length)
                {
                    isPreface = true;
                }
                else
                {
                    decided = result.IsCompleted || result.IsCanceled;
                }
            }
            finally
            {
                // Consume nothing: the HTTP layer reads the same bytes. Until decided, mark them examined so the
                // next read waits for more.
                input.AdvanceTo(buffer.Start, decided ? buffer.Start : buffer.End);
            }

            if (decided)
            {
                return isPreface;
            }
        }
    }

    private static bool StartsWith(ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> expected)
    {
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan.SequenceEqual(expected);
        }

        Span<byte> copy = stackalloc byte[expected.Length];
        sequence.CopyTo(copy);
        return copy.SequenceEqual(expected);
    }

    /// <summary>The features Kestrel's protocol selection reads: "TLS present, ALPN = h2".</summary>
    internal sealed class CleartextHttp2 : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly CleartextHttp2 Instance = new();

        private static readonly byte[] H2 = "h2"u8.ToArray();

        public ReadOnlyMemory<byte> ApplicationProtocol => H2;

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set { }
        }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
            Task.FromResult<X509Certificate2?>(null);
    }
}
