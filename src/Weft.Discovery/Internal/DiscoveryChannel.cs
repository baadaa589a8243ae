using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Weft.Discovery.Internal;

/// <summary>
/// gRPC over HTTP/2 to the control plane, over TLS (<c>https://</c>) verified against <c>trustedRoots</c> only (the
/// mesh's trust bundle) when given; the caller's <see cref="DiscoveryCredentials"/> go with every call and connection.
/// A cleartext <c>http://</c> address still connects (h2c), for a test server; the control plane serves TLS only.
/// </summary>
internal static class DiscoveryChannel
{
    public static GrpcChannel Create(Uri controlPlane, X509Certificate2Collection? trustedRoots = null, DiscoveryCredentials? credentials = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Every subscription is one long-lived stream; HTTP/2's default 100 streams per connection must not cap them.
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // A control plane that vanished without closing the connection is found by pings, not by waiting forever.
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        if (trustedRoots is { Count: > 0 })
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trustedRoots);
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
            // A policy carries every endpoint of its backends; large Services exceed gRPC's 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
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
