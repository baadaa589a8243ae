using Grpc.Net.Client;

namespace Weft.Discovery.Internal;

/// <summary>gRPC over HTTP/2 cleartext (h2c) to the control plane, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
internal static class DiscoveryChannel
{
    public static GrpcChannel Create(Uri controlPlane) =>
        GrpcChannel.ForAddress(controlPlane, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // Every subscription is one long-lived stream; HTTP/2's default 100 streams per connection must not cap them.
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                // A control plane that vanished without closing the connection is found by pings, not by waiting forever.
                KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            },
            DisposeHttpClient = true,
            // A policy carries every endpoint of its backends; large Services exceed gRPC's 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
}
