using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Weft.Discovery.Internal;

/// <summary>
/// gRPC over HTTP/2 to the control plane: cleartext (h2c) for <c>http://</c> (the local mesh), TLS for <c>https://</c>
/// (the Kubernetes controller), verified against <c>trustedRoots</c> only (the mesh's trust bundle) when given.
/// </summary>
internal static class DiscoveryChannel
{
    public static GrpcChannel Create(Uri controlPlane, X509Certificate2Collection? trustedRoots = null)
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

        return GrpcChannel.ForAddress(controlPlane, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // A policy carries every endpoint of its backends; large Services exceed gRPC's 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
    }
}
