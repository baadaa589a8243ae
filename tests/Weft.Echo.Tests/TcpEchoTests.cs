using System.Net.Sockets;
using System.Text;

namespace Weft.Echo.Tests;

public sealed class TcpEchoTests(EchoServerFixture echo) : IClassFixture<EchoServerFixture>
{
    [Fact]
    public async Task Tcp_echoes_what_it_reads_then_identifies_the_server_once()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", echo.TcpPort);
        var stream = client.GetStream();

        await stream.WriteAsync("hello tcp\n"u8.ToArray());
        var first = await ReadUntilAsync(stream, $"Hostname={EchoServerFixture.Hostname}\n");
        await stream.WriteAsync("again\n"u8.ToArray());
        var second = await ReadUntilAsync(stream, "again\n");

        Assert.StartsWith("hello tcp\n", first, StringComparison.Ordinal);
        var identity = EchoResponse.Parse(first["hello tcp\n".Length..]);
        Assert.Equal(200, identity.StatusCode);
        Assert.Equal("v1", identity.ServiceVersion);
        Assert.Equal(echo.TcpPort, identity.ServicePort);
        Assert.Equal("127.0.0.1", identity.IP);
        Assert.Equal("again\n", second);
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string suffix)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[1024];
        while (!text.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, deadline.Token);
            Assert.NotEqual(0, read);
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
