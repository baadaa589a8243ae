using System.Buffers;
using System.Text;
using Weft.Proxy.Outbound;

namespace Weft.Proxy.Tests.Outbound;

public sealed class ConnectTargetTests
{
    [Theory]
    [InlineData("CONNECT echo:80 HTTP/1.1\r\nHost: echo:80", "echo", 80)]
    [InlineData("CONNECT 127.10.1.2:8080 HTTP/1.1", "127.10.1.2", 8080)]
    [InlineData("CONNECT [::1]:443 HTTP/1.0\r\nUser-Agent: x", "::1", 443)]
    [InlineData("CONNECT echo.ns.svc.cluster.local:7070 HTTP/1.1", "echo.ns.svc.cluster.local", 7070)]
    public void Valid_targets_parse(string header, string host, int port)
    {
        var target = ConnectTunnelMiddleware.ParseTarget(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(header)));

        Assert.NotNull(target);
        Assert.Equal(host, target.Host);
        Assert.Equal(port, target.Port);
    }

    [Theory]
    [InlineData("CONNECT echo HTTP/1.1")]
    [InlineData("CONNECT echo:0 HTTP/1.1")]
    [InlineData("CONNECT echo:http HTTP/1.1")]
    [InlineData("CONNECT :80 HTTP/1.1")]
    [InlineData("CONNECT a:b:80 HTTP/1.1")]
    [InlineData("CONNECT user@echo:80 HTTP/1.1")]
    [InlineData("CONNECT echo:80 HTTP/2")]
    [InlineData("CONNECT echo:80")]
    [InlineData("CONNECT  echo:80 HTTP/1.1")]
    public void Invalid_targets_are_rejected(string header)
    {
        Assert.Null(ConnectTunnelMiddleware.ParseTarget(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(header))));
    }
}
