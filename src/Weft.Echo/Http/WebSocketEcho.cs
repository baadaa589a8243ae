using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Weft.Echo.Http;

/// <summary>
/// The HTTP port's WebSocket echo (upstream: istio pkg/test/echo/server/endpoint/http.go, <c>webSocketEcho</c>): a request
/// that asks to upgrade to WebSocket (RFC 6455 §4.1: HTTP/1.1 <c>Upgrade: websocket</c>) is accepted, and every message
/// is sent back with its type (text or binary). Upstream answers one message and closes; this one echoes until the
/// client closes, so a test can send several on one connection.
/// </summary>
/// <remarks>
/// Frames are echoed as they arrive (a fragment back for each fragment read, the last one ending the message), so a
/// message of any size goes through a fixed buffer. A close from the client is answered with the same status, as the
/// closing handshake asks (RFC 6455 §5.5.1).
/// </remarks>
internal static class WebSocketEcho
{
    private const int BufferSize = 16 * 1024;

    public static async Task RunAsync(HttpContext context, ILogger logger)
    {
        var port = context.Connection.LocalPort;
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        EchoLog.WebSocketOpened(logger, port);
        var ct = context.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var messages = 0;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(
                            socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, ct);
                    }

                    break;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, ct);
                if (received.EndOfMessage)
                {
                    messages++;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away without the closing handshake: nothing to answer.
            EchoLog.WebSocketAborted(logger, port, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        EchoLog.WebSocketClosed(logger, port, messages);
    }
}
