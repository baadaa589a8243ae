using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Weft.Echo.Tests;

/// <summary>The HTTP port accepts WebSocket upgrades and echoes every message back with its type (upstream webSocketEcho).</summary>
public sealed class WebSocketEchoTests(EchoServerFixture echo) : IClassFixture<EchoServerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Text_and_binary_messages_are_echoed_with_their_type_on_one_connection()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = await ConnectAsync("/ws", cts.Token);

        foreach (var (type, payload) in new[]
        {
            (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("hello")),
            (WebSocketMessageType.Binary, new byte[] { 0, 1, 2, 0xff }),
            (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("grüße")),
        })
        {
            await client.SendAsync(payload, type, endOfMessage: true, cts.Token);
            var (replyType, reply) = await ReceiveMessageAsync(client, cts.Token);
            Assert.Equal(type, replyType);
            Assert.Equal(payload, reply);
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task A_message_larger_than_the_server_buffer_sent_in_fragments_comes_back_whole()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = await ConnectAsync("/big", cts.Token);
        var payload = RandomNumberGenerator.GetBytes(200 * 1024);

        // Sending and receiving at once: the server echoes fragments as they arrive, so neither side waits for the other.
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 30_000)
            {
                var count = Math.Min(30_000, payload.Length - offset);
                await client.SendAsync(payload.AsMemory(offset, count), WebSocketMessageType.Binary, offset + count == payload.Length, cts.Token);
            }
        }, cts.Token);
        var (type, reply) = await ReceiveMessageAsync(client, cts.Token);
        await send;

        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(payload, reply);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
    }

    [Fact]
    public async Task The_closing_handshake_is_answered_with_the_clients_status()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = await ConnectAsync("/close", cts.Token);

        await client.CloseAsync(WebSocketCloseStatus.PolicyViolation, "done here", cts.Token);

        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal("done here", client.CloseStatusDescription);
    }

    [Fact]
    public async Task A_request_without_an_upgrade_on_the_same_port_still_gets_the_echo_text()
    {
        var (status, body) = await RawHttp.SendAsync(echo.HttpPort,
            "GET /ws HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, status);
        Assert.Equal("/ws", EchoResponse.Parse(body).Url);
    }

    private async Task<ClientWebSocket> ConnectAsync(string path, CancellationToken ct)
    {
        var client = new ClientWebSocket();
        client.Options.Proxy = null;
        try
        {
            await client.ConnectAsync(new Uri($"ws://127.0.0.1:{echo.HttpPort}{path}"), ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket socket, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[8192];
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
}
