using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Weft.Cli.Client;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// Issue 5, "a WebSocket echo through two sidecars": an app's WebSocket goes through its sidecar's outbound (a CONNECT
/// tunnel, as a pod's app sends it), the HTTPRoute of a <c>kubernetes.io/ws</c> Service port, the mTLS hop (TLS 1.3,
/// ALPN http/1.1) and the echo pod's inbound, and every message comes back.
/// </summary>
public sealed class WebSocketThroughSidecarsTests(WebSocketMeshFixture mesh, ITestOutputHelper output) : IClassFixture<WebSocketMeshFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_WebSocket_echo_through_two_sidecars_rides_one_mTLS_connection_that_closes_with_it()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var client = mesh.Pod("client");
        var server = mesh.Pod("chat-echo");
        var before = (await InboundFromAsync(server, "client", cts.Token)).Select(c => c.Id).ToHashSet();

        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            // As the client pod's app would: CONNECT host:port through its own sidecar's outbound listener.
            ConnectCallback = (context, ct) =>
                SidecarTunnel.ConnectAsync(new IPEndPoint(client.IP, 15001), context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct),
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new Uri($"ws://{WebSocketMeshFixture.Service}/ws/echo"), invoker, cts.Token);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);

        foreach (var (type, payload) in new[]
        {
            (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("hello through the mesh")),
            (WebSocketMessageType.Binary, new byte[] { 0, 1, 2, 254, 255 }),
            (WebSocketMessageType.Binary, RandomNumberGenerator.GetBytes(100 * 1024)),
            (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("and back")),
        })
        {
            var send = socket.SendAsync(payload, type, endOfMessage: true, cts.Token);
            var (replyType, reply) = await ReceiveMessageAsync(socket, cts.Token);
            await send;
            Assert.Equal(type, replyType);
            Assert.Equal(payload, reply);
        }

        // While the socket is open: the server sidecar has a new inbound mTLS connection from the client's identity...
        var carrying = (await InboundFromAsync(server, "client", cts.Token)).Where(c => !before.Contains(c.Id)).ToList();
        Assert.NotEmpty(carrying);
        Assert.All(carrying, c =>
        {
            Assert.Equal("TLSv1.3", c.TlsVersion);
            Assert.Equal("http/1.1", c.Alpn);
            Assert.Equal(WebSocketMeshFixture.SpiffeId("chat-echo"), c.LocalIdentity);
        });

        // ...and the client sidecar an outbound one to the echo's identity.
        var outbound = await ConnectionsAsync(client, cts.Token);
        Assert.Contains(outbound, c => c.Direction == "outbound" && c.PeerIdentity == WebSocketMeshFixture.SpiffeId("chat-echo")
            && c.TlsVersion == "TLSv1.3" && c.Alpn == "http/1.1");

        // The connection that opened with the WebSocket is the one carrying it: it closes when the WebSocket does
        // (an upgraded connection is never pooled; an idle pooled one would stay open for a minute).
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        var ids = carrying.Select(c => c.Id).ToHashSet();
        while ((await InboundFromAsync(server, "client", cts.Token)).Any(c => ids.Contains(c.Id)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cts.Token); // polling the condition until the deadline (cts)
        }
    }

    [Fact]
    public async Task Several_WebSockets_at_once_each_get_their_own_messages_back()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var client = mesh.Pod("client");
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = (context, ct) =>
                SidecarTunnel.ConnectAsync(new IPEndPoint(client.IP, 15001), context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct),
        };
        using var invoker = new HttpMessageInvoker(handler);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://{WebSocketMeshFixture.Service}/ws/{i}"), invoker, cts.Token);
            for (var n = 0; n < 5; n++)
            {
                var message = Encoding.UTF8.GetBytes($"socket {i} message {n}");
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
                var (_, reply) = await ReceiveMessageAsync(socket, cts.Token);
                Assert.Equal(message, reply);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
        }));
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket socket, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, ct);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return (received.MessageType, message.ToArray());
            }
        }
    }

    private async Task<List<Connection>> InboundFromAsync(Weft.Cli.Local.LocalPod pod, string serviceAccount, CancellationToken ct) =>
        [.. (await ConnectionsAsync(pod, ct)).Where(c => c.Direction == "inbound" && c.PeerIdentity == WebSocketMeshFixture.SpiffeId(serviceAccount))];

    /// <summary>The sidecar's live mTLS connections (admin <c>/connections</c>).</summary>
    private async Task<List<Connection>> ConnectionsAsync(Weft.Cli.Local.LocalPod pod, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var json = await http.GetStringAsync(new Uri($"http://{pod.IP}:15000/connections"), ct);
        output.WriteLine($"{pod.DeploymentName}: {json}");
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("connections").EnumerateArray().Select(c => new Connection(
            c.GetProperty("id").GetInt64(),
            c.GetProperty("direction").GetString()!,
            c.GetProperty("localIdentity").GetString()!,
            c.GetProperty("peerIdentity").GetString()!,
            c.GetProperty("tlsVersion").GetString()!,
            c.GetProperty("alpn").GetString()!))];
    }

    private sealed record Connection(long Id, string Direction, string LocalIdentity, string PeerIdentity, string TlsVersion, string Alpn);
}
