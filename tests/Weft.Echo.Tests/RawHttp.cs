using System.Net.Sockets;
using System.Text;

namespace Weft.Echo.Tests;

/// <summary>Sends a hand-written HTTP/1.1 request, for cases HttpClient normalises (repeated header lines, raw targets).</summary>
internal static class RawHttp
{
    public static async Task<(int Status, string Body)> SendAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var status = int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return (status, response[(split + 4)..]);
    }
}
