using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.L4;
using Weft.Proxy.Security;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Kestrel connection middleware of the inbound listener. The first byte tells TLS (0x16, a ClientHello) from plaintext.
/// TLS: the mTLS server handshake (<see cref="MeshTls"/>); ALPN <c>h2</c>/<c>http/1.1</c> continue to the HTTP layer over
/// the decrypted stream with the peer's SPIFFE ID as <see cref="IPeerIdentityFeature"/>; ALPN <c>weft-tcp</c> is an
/// opaque tunnel whose PROXY header names the app port. Plaintext: refused (closed, logged) in strict mode; in permissive
/// mode a PROXY header (the local kube-proxy) starts an opaque tunnel and anything else is HTTP with <c>weft-dst-port</c>.
/// A proxy without identity (mTLS off) takes plaintext only, as before. (Connections redirected here from an app port
/// never get this far: <see cref="CapturedInboundMiddleware"/>.)
/// </summary>
internal sealed class InboundConnectionMiddleware(
    ConnectionDelegate next, MeshTls? tls, MtlsMode mode, IPAddress podIp, Func<int, bool> isOwnPort, ILogger logger, Http1.Http1Relay? fastPath,
    CancellationToken stopping)
{
    private static readonly TimeSpan FirstByteTimeout = TimeSpan.FromSeconds(30);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, stopping);
        var ct = linked.Token;
        int first;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(FirstByteTimeout);
            try
            {
                first = await PeekFirstByteAsync(connection.Transport.Input, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (first < 0)
        {
            return;
        }

        if (tls is null)
        {
            await ServePlaintextHttpAsync(connection, ct);
            return;
        }

        if (first == 0x16)
        {
            await ServeTlsAsync(connection, ct);
            return;
        }

        if (mode == MtlsMode.Strict)
        {
            tls.Connections.Refused();
            ProxyLog.PlaintextRefused(logger, connection.RemoteEndPoint?.ToString());
            return; // closing without a byte of HTTP: strict mode has nothing to say to plaintext
        }

        if (await StartsWithProxyHeaderAsync(connection.Transport.Input, ct))
        {
            await using var plain = new DuplexPipeStream(connection.Transport);
            await ServeOpaqueAsync(plain, connection.RemoteEndPoint, "plaintext", ct);
            return;
        }

        await ServePlaintextHttpAsync(connection, ct);
    }

    /// <summary>
    /// Plaintext HTTP from a peer (mTLS off, or permissive): HTTP/1.1, or h2c with prior knowledge, which a peer uses for
    /// gRPC and HTTP/2 backends; Kestrel needs the ALPN feature trick to serve both on one cleartext port (H2cFeatures).
    /// </summary>
    private async Task ServePlaintextHttpAsync(ConnectionContext connection, CancellationToken ct)
    {
        DetectedProtocol protocol;
        try
        {
            protocol = await ProtocolDetector.DetectAsync(connection.Transport.Input, FirstByteTimeout, ct);
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

    private async Task ServeTlsAsync(ConnectionContext connection, CancellationToken ct)
    {
        var transport = connection.Transport;
        // Nothing has been written to the connection yet (the first byte was only peeked): from here on SslStream is
        // its only writer, so its records can go straight to the socket.
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var ssl = await tls!.AcceptAsync(new DuplexPipeStream(transport, socket), connection.LocalEndPoint, connection.RemoteEndPoint, ct);
        if (ssl is null)
        {
            return;
        }

        await using (ssl)
        {
            if (ssl.NegotiatedApplicationProtocol == MeshAlpn.WeftTcp)
            {
                await ServeOpaqueAsync(ssl, connection.RemoteEndPoint, ssl.PeerIdentity, ct);
                return;
            }

            var features = new MtlsFeatures(ssl.NegotiatedApplicationProtocol.Protocol.ToArray(), ssl.RemoteCertificate as X509Certificate2, ssl.PeerIdentity);
            connection.Features.Set<ITlsConnectionFeature>(features);
            connection.Features.Set<ITlsApplicationProtocolFeature>(features);
            connection.Features.Set<IPeerIdentityFeature>(features);
            var decrypted = new DuplexPipe(PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true)));
            connection.Transport = decrypted;
            try
            {
                await Http1.Http1Relay.ServeAsync(fastPath, connection, next, http1: ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2, plaintext: false);
            }
            finally
            {
                await decrypted.Input.CompleteAsync();
                await decrypted.Output.CompleteAsync();
                connection.Transport = transport;
            }
        }
    }

    /// <summary>An opaque tunnel: the PROXY header names the app port on this pod; then bytes both ways.</summary>
    private async Task ServeOpaqueAsync(Stream stream, EndPoint? remote, string peer, CancellationToken ct)
    {
        int? port;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(FirstByteTimeout);
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

    private static async ValueTask<bool> StartsWithProxyHeaderAsync(PipeReader input, CancellationToken ct)
    {
        var signature = ProxyProtocolHeader.Signature.ToArray();
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            var n = (int)Math.Min(buffer.Length, signature.Length);
            var head = buffer.Slice(0, n).ToArray();
            var matches = head.AsSpan().SequenceEqual(signature.AsSpan(0, n));
            var decided = !matches || n == signature.Length || result.IsCompleted;
            input.AdvanceTo(buffer.Start, decided ? buffer.Start : buffer.End);
            if (decided)
            {
                return matches && n == signature.Length;
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class MtlsFeatures(byte[] alpn, X509Certificate2? peerCertificate, string peerIdentity)
        : ITlsConnectionFeature, ITlsApplicationProtocolFeature, IPeerIdentityFeature
    {
        public ReadOnlyMemory<byte> ApplicationProtocol => alpn;

        public X509Certificate2? ClientCertificate
        {
            get => peerCertificate;
            set { }
        }

        public string PeerIdentity => peerIdentity;

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(peerCertificate);
    }
}
