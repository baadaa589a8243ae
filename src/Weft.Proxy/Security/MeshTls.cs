using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Weft.Api;
using Weft.Discovery;
using Weft.Discovery.Identity;

namespace Weft.Proxy.Security;

/// <summary>
/// The two ends of a sidecar-to-sidecar connection (DESIGN decision 4): TLS 1.3 only, both sides present their current
/// X.509-SVID (read once per handshake, so a rotation never breaks a handshake in flight) and check the other's with
/// <see cref="SpiffeValidation"/>: the client expects the SPIFFE ID discovery gave for the endpoint and a certificate fit
/// for a server (serverAuth), the server accepts any identity of the trust bundle whose certificate is fit for a client
/// (clientAuth) and records it on the connection.
/// </summary>
internal sealed class MeshTls(SidecarIdentity identity, MtlsConnections connections, TimeProvider time, ILogger logger, TimeSpan? handshakeTimeout = null)
{
    /// <summary>
    /// How long a peer has to complete the server handshake: one that sends a ClientHello's first byte and then nothing
    /// would otherwise hold a connection (and its descriptor) for as long as it likes.
    /// </summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan _handshakeTimeout = handshakeTimeout ?? DefaultHandshakeTimeout;
    private readonly LogLimiter _refusals = new(ProxyLog.RefusalInterval, time);

    /// <summary>How long a peer has, from its connection's accept, to complete the server handshake.</summary>
    public TimeSpan HandshakeTimeout => _handshakeTimeout;

    public MtlsConnections Connections => connections;

    /// <summary>
    /// The server handshake over an accepted connection; null (logged, at most one line per
    /// <see cref="ProxyLog.RefusalInterval"/>) when the peer is refused or has not finished within the handshake time,
    /// counted from <paramref name="accepted"/> (the bytes a sniffer held before count too; null: from now).
    /// </summary>
    public async Task<TrackedSslStream?> AcceptAsync(Stream transport, EndPoint? local, EndPoint? remote, AcceptedFeature? accepted, CancellationToken ct)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        handshake.CancelAfter(accepted?.Left(_handshakeTimeout) ?? _handshakeTimeout);
        IdentitySnapshot snapshot;
        try
        {
            snapshot = await identity.WaitAsync(handshake.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connections.Refused();
            return null; // no certificate yet to answer with: the peer retries
        }

        var ssl = new TrackedSslStream(transport, connections);
        string? peer = null, error = null;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = identity.ContextOf(snapshot),
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = MeshAlpn.Server,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                SpiffeValidation.Validate(certificate as X509Certificate2, snapshot.TrustBundle, null, SvidPurpose.Client, time.GetUtcNow(), out peer, out error)
                && SameTrustDomain(snapshot.SpiffeId, peer!, out error),
        };
        try
        {
            await ssl.AuthenticateAsServerAsync(options, handshake.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            connections.Refused();
            if (_refusals.TryTake(out var suppressed))
            {
                ProxyLog.InboundHandshakeFailed(logger, remote?.ToString(),
                    error ?? (e is OperationCanceledException && !ct.IsCancellationRequested ? $"no handshake within {_handshakeTimeout.TotalSeconds:0.#} s" : ExceptionText.WithInner(e)), suppressed);
            }

            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        Register(ssl, "inbound", snapshot, peer!, local, remote);
        return ssl;
    }

    /// <summary>The client handshake to a peer sidecar that must be <paramref name="expectedIdentity"/>; throws when it is not.</summary>
    public async Task<TrackedSslStream> ConnectAsync(Stream transport, string expectedIdentity, SslApplicationProtocol alpn, EndPoint? local, EndPoint? remote, CancellationToken ct)
    {
        var snapshot = await identity.WaitAsync(ct).ConfigureAwait(false);
        var ssl = new TrackedSslStream(transport, connections);
        string? peer = null, error = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "",
            ClientCertificateContext = identity.ContextOf(snapshot),
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = [alpn],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                SpiffeValidation.Validate(certificate as X509Certificate2, snapshot.TrustBundle, expectedIdentity, SvidPurpose.Server, time.GetUtcNow(), out peer, out error),
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
            if (ssl.NegotiatedApplicationProtocol != alpn)
            {
                throw new AuthenticationException($"the peer at {remote} did not agree to ALPN '{alpn}'");
            }
        }
        catch (Exception e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            var reason = error ?? ExceptionText.WithInner(e);
            ProxyLog.OutboundHandshakeFailed(logger, remote?.ToString(), expectedIdentity, reason);
            throw new AuthenticationException($"mTLS to {remote} ({expectedIdentity}) failed: {reason}", e);
        }

        Register(ssl, "outbound", snapshot, peer!, local, remote);
        return ssl;
    }

    /// <summary>Any workload of this mesh may connect; an ID of another trust domain (even one the bundle signs) may not.</summary>
    private static bool SameTrustDomain(string own, string peer, out string? error)
    {
        SpiffeId.TryGetTrustDomain(own, out var ownDomain);
        SpiffeId.TryGetTrustDomain(peer, out var peerDomain);
        error = ownDomain == peerDomain ? null : $"the peer '{peer}' is not in trust domain '{ownDomain}'";
        return error is null;
    }

    private void Register(TrackedSslStream ssl, string direction, IdentitySnapshot snapshot, string peer, EndPoint? local, EndPoint? remote)
    {
        ssl.PeerIdentity = peer;
        connections.Opened(new MtlsConnection
        {
            Id = ssl.Id,
            Direction = direction,
            Local = local,
            Remote = remote,
            LocalIdentity = snapshot.SpiffeId,
            PeerIdentity = peer,
            Protocol = ssl.SslProtocol,
            CipherSuite = ssl.NegotiatedCipherSuite,
            Alpn = ssl.NegotiatedApplicationProtocol.ToString(),
            Opened = time.GetUtcNow(),
        });
    }
}
