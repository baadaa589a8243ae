using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Outbound;

/// <summary>HTTPRouteBackendProtocolWebSocket: an HTTP/1.1 Upgrade passes through the outbound and the inbound listener.</summary>
public sealed class WebSocketTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_WebSocket_echo_works_through_the_outbound_and_inbound_sides(bool withRequestTimeout)
    {
        await using var backend = await TestBackend.StartAsync("ws");
        backend.Handler = async (context, _) =>
        {
            var upgrade = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()!;
            if (!upgrade.IsUpgradableRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            // A minimal RFC 6455 handshake and echo, without the WebSockets middleware.
            var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it is not used for security here
            var accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
            context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers["Sec-WebSocket-Accept"] = accept;
            await using var stream = await upgrade.UpgradeAsync();
            using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
            var buffer = new byte[1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        };
        // GEP-1742's request timeout bounds the exchange up to the upgrade, not the life of the WebSocket.
        var rule = Policies.Rule(backends: Policies.Backend(backend));
        if (withRequestTimeout)
        {
            rule = rule with { Timeouts = new Weft.Routing.Policy.TimeoutPolicy { Request = TimeSpan.FromSeconds(1) } };
        }

        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TestMesh.StartAsync(
            new Weft.Proxy.Discovery.StaticDestinationSource([KeyValuePair.Create("ws:80", Policies.Service("ws", 80, [rule]))]), time);

        using var client = new ClientWebSocket();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(mesh.Proxy.OutboundEndpoint, ct);
                var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                await stream.WriteAsync("CONNECT ws:80 HTTP/1.1\r\nHost: ws:80\r\n\r\n"u8.ToArray(), ct);
                Assert.StartsWith("HTTP/1.1 200", await TestMesh.ReadHeadAsync(stream, ct), StringComparison.Ordinal);
                return stream;
            },
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(new Uri("ws://ws/chat"), invoker, timeout.Token);
        var reply = new byte[1024];
        foreach (var message in new[] { "one", "two" })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
            var received = await client.ReceiveAsync(reply, timeout.Token);
            Assert.Equal(message, Encoding.UTF8.GetString(reply, 0, received.Count));
            if (withRequestTimeout)
            {
                time.Advance(TimeSpan.FromSeconds(5)); // well past the route's request timeout
            }
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }
}
