using System.Net;
using System.Net.Sockets;

namespace Weft.Proxy.Tests.Admin;

/// <summary>A bare TCP connection to a sidecar's listener, and whether the listener closes it: the listener bounds' tests.</summary>
internal static class ListenerSocket
{
    private static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(10);

    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(ConnectDeadline);
        await socket.ConnectAsync(endpoint, timeout.Token);
        return socket;
    }

    /// <summary>Whether the peer closes (or resets) the connection within <paramref name="within"/>, whatever it sends first.</summary>
    public static async Task<bool> ClosedAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
