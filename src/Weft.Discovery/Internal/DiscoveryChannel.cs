using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Weft.Discovery.Identity;

namespace Weft.Discovery.Internal;

/// <summary>
/// gRPC over HTTP/2 to the control plane, over TLS (<c>https://</c>) verified against <c>trustedRoots</c> only (the
/// mesh's trust bundle) when given; the caller's <see cref="DiscoveryCredentials"/> go with every call and connection.
/// A cleartext <c>http://</c> address still connects (h2c), for a test server; the control plane serves TLS only.
/// </summary>
internal static class DiscoveryChannel
{
    /// <summary>
    /// The HTTP/2 receive window of each discovery stream. SocketsHttpHandler's 64 KB default has the sidecar send a
    /// WINDOW_UPDATE for every 8 KB received, so every other update of a 6 KB policy cost the control plane a frame to
    /// read (issue 18: at 5,000 sidecars, 2,500 per change everyone hears of). At 4 MB one goes every 512 KB. The window is
    /// credit, not a buffer: the sidecar reads each update as it comes, and a policy is at most
    /// <see cref="MaxMessageSize"/>.
    /// </summary>
    public const int StreamWindow = 4 * 1024 * 1024;

    /// <summary>The largest message the sidecar reads: a policy carries every endpoint of its backends; large Services exceed gRPC's 4 MB default.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    /// <param name="controlPlane">The discovery server.</param>
    /// <param name="trustedRoots">The roots its certificate must chain to; null: the system's.</param>
    /// <param name="credentials">What every call and connection presents.</param>
    /// <param name="time">The clock the certificate's validity is checked on (the mesh's, as the CA that issued it); null: the system's.</param>
    /// <param name="serverName">
    /// The DNS name the certificate must carry; null: <paramref name="controlPlane"/>'s host. An operator who reaches a
    /// cluster's controller through a port-forward (<c>https://127.0.0.1:8090</c>) checks its Service name instead.
    /// </param>
    public static GrpcChannel Create(Uri controlPlane, X509Certificate2Collection? trustedRoots = null, DiscoveryCredentials? credentials = null, TimeProvider? time = null, string? serverName = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Every subscription is one long-lived stream; HTTP/2's default 100 streams per connection must not cap them.
            EnableMultipleHttp2Connections = true,
            // Connecting includes the TLS handshake, whose first run in a process (cold crypto, a loaded node) has taken over 2 s.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            InitialHttp2StreamWindowSize = StreamWindow,
            // A control plane that vanished without closing the connection is found by pings, not by waiting forever.
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        if (trustedRoots is { Count: > 0 })
        {
            var roots = new X509Certificate2Collection(trustedRoots);
            var clock = time ?? TimeProvider.System;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                // The name must match; the chain is built again to the mesh roots only, at the mesh clock's time.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0
                    && certificate is X509Certificate2 leaf
                    && (serverName is null ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 : leaf.MatchesHostname(serverName, allowWildcards: false, allowCommonName: false))
                    && SpiffeValidation.ChainsTo(leaf, roots, clock.GetUtcNow(), out _),
            };
        }

        if (credentials?.ClientCertificate is { } clientCertificate)
        {
            // Read per connection: a connection made after a rotation presents the new certificate.
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate()!;
        }

        return GrpcChannel.ForAddress(controlPlane, new GrpcChannelOptions
        {
            HttpHandler = credentials?.Token is { } token ? new BearerHandler(token, handler) : handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageSize,
        });
    }

    /// <summary>Puts the current bearer credential on every call (a token file rewritten meanwhile is read afresh).</summary>
    private sealed class BearerHandler(Func<string?> token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (token() is { Length: > 0 } value)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", value);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
