using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weft.Cli.Client;

/// <summary>
/// Opens a <c>CONNECT host:port</c> tunnel through a sidecar's outbound listener, as an app in the local mode does. The
/// stream returned carries whatever protocol the caller speaks next (HTTP/1.1, or h2c with prior knowledge for gRPC).
/// </summary>
internal static class SidecarTunnel
{
    private const int MaxConnectResponseBytes = 16 * 1024;

    public static async ValueTask<Stream> ConnectAsync(IPEndPoint sidecar, string host, int port, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            try
            {
                await socket.ConnectAsync(sidecar, ct);
            }
            catch (SocketException e)
            {
                throw new HttpRequestException($"cannot connect to the sidecar at {sidecar}: {e.Message}", e);
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            var target = $"{host}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"), ct);
            var statusLine = await ReadConnectResponseAsync(stream, ct);
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || parts[1] != "200")
            {
                await stream.DisposeAsync();
                throw new HttpRequestException($"the sidecar at {sidecar} refused CONNECT {target}: {statusLine}");
            }

            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the CONNECT response head byte by byte (nothing after it is ours to read); returns its status line.</summary>
    private static async Task<string> ReadConnectResponseAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>(128);
        var one = new byte[1];
        while (head.Count < MaxConnectResponseBytes)
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                throw new HttpRequestException("the sidecar closed the connection during CONNECT");
            }

            head.Add(one[0]);
            var n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
            {
                var text = Encoding.ASCII.GetString([.. head]);
                return text[..text.IndexOf('\r', StringComparison.Ordinal)];
            }
        }

        throw new HttpRequestException("the sidecar's CONNECT response is too long");
    }
}
