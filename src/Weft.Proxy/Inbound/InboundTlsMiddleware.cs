using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Weft.Proxy.Security;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Kestrel connection middleware of the inbound listener for a connection that opens with TLS
/// (<see cref="InboundSniffMiddleware"/>): the mTLS server handshake (<see cref="MeshTls"/>); ALPN <c>h2</c>/<c>http/1.1</c>
/// continue to the HTTP layer (<paramref name="next"/>, or the HTTP/1.1 fast path) over the decrypted stream with the
/// peer's SPIFFE ID as <see cref="IPeerIdentityFeature"/>; ALPN <c>weft-tcp</c> is an <see cref="InboundOpaqueTunnel"/>;
/// ALPN <c>weft-tap</c> is the control plane's tap (<see cref="Tap.TapEndpoint"/>, which checks the caller is it).
/// </summary>
internal sealed class InboundTlsMiddleware(ConnectionDelegate next, MeshTls tls, InboundOpaqueTunnel opaque, Http1.Http1Relay? fastPath, CancellationToken stopping, Tap.TapEndpoint? tap = null)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // stopping, not connection.ConnectionClosed: Kestrel fires that when the peer's input ends, and a TLS 1.3 peer may
        // send its Finished, its bytes, close_notify and its FIN at once: a token cancelled then would fail the handshake
        // still being completed here and lose them. The handshake has its own bound (MeshTls).
        var ct = stopping;
        var transport = connection.Transport;
        // Nothing has been written to the connection yet (the first byte was only peeked): from here on SslStream is
        // its only writer, so its records can go straight to the socket.
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var ssl = await tls.AcceptAsync(new DuplexPipeStream(transport, socket), connection.LocalEndPoint, connection.RemoteEndPoint,
            connection.Features.Get<AcceptedFeature>(), ct);
        if (ssl is null)
        {
            return;
        }

        await using (ssl)
        {
            if (ssl.NegotiatedApplicationProtocol == MeshAlpn.WeftTcp)
            {
                // A peer's FIN (after its close_notify) is a half-close, the app's answer still owed.
                await opaque.ServeAsync(ssl, connection.RemoteEndPoint, ssl.PeerIdentity, connection.Features.Get<ConnectionProgress>(), ct);
                return;
            }

            if (ssl.NegotiatedApplicationProtocol == MeshAlpn.WeftTap)
            {
                if (tap is not null)
                {
                    await tap.ServeAsync(ssl, ssl.PeerIdentity, connection.RemoteEndPoint, ct);
                }

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
