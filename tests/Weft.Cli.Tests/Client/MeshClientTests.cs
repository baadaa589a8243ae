using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Cli.Client;

namespace Weft.Cli.Tests.Client;

/// <summary>MeshClient against a stand-in sidecar on loopback that answers CONNECT and then one HTTP/1.1 request.</summary>
public sealed class MeshClientTests : IAsyncLifetime
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<string> _received = [];
    private Task _serving = Task.CompletedTask;
    private string _response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello";

    public Task InitializeAsync()
    {
        _listener.Start();
        _serving = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
        }
    }

    private IPEndPoint Sidecar => (IPEndPoint)_listener.LocalEndpoint;

    private async Task ServeAsync()
    {
        while (true)
        {
            using var socket = await _listener.AcceptSocketAsync();
            await using var stream = new NetworkStream(socket);
            var connect = await ReadHeadAsync(stream);
            lock (_received)
            {
                _received.Add(connect);
            }

            await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray());
            var request = await ReadHeadAsync(stream);
            lock (_received)
            {
                _received.Add(request);
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes(_response));
            socket.Shutdown(SocketShutdown.Both);
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
        {
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    [Fact]
    public async Task It_tunnels_with_CONNECT_to_the_URL_authority_and_sends_the_request_inside()
    {
        using var client = new MeshClient(Sidecar);
        var response = await client.SendAsync(new MeshRequest { Url = new Uri("http://echo/v2/example?x=1"), Headers = [new("Version", "two")] }, CancellationToken.None);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("hello", response.BodyText);
        Assert.Equal("yes", response.Header("x-test"));
        Assert.StartsWith("CONNECT echo:80 HTTP/1.1\r\n", _received[0], StringComparison.Ordinal);
        Assert.StartsWith("GET /v2/example?x=1 HTTP/1.1\r\n", _received[1], StringComparison.Ordinal);
        Assert.Contains("\r\nHost: echo\r\n", _received[1], StringComparison.Ordinal);
        Assert.Contains("\r\nVersion: two\r\n", _received[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Host_header_replaces_only_the_Host_and_ConnectTo_picks_the_destination()
    {
        using var client = new MeshClient(Sidecar);
        await client.SendAsync(new MeshRequest { Url = new Uri("http://echo-v2/"), Headers = [new("Host", "echo-v1")], ConnectTo = "127.20.1.2:80" }, CancellationToken.None);

        Assert.StartsWith("CONNECT 127.20.1.2:80 HTTP/1.1\r\n", _received[0], StringComparison.Ordinal);
        Assert.Contains("\r\nHost: echo-v1\r\n", _received[1], StringComparison.Ordinal);
        Assert.DoesNotContain("echo-v2", _received[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_default_port_is_part_of_the_target_and_the_Host()
    {
        using var client = new MeshClient(Sidecar);
        await client.SendAsync(new MeshRequest { Url = new Uri("http://echo-v1:8080/") }, CancellationToken.None);

        Assert.StartsWith("CONNECT echo-v1:8080 HTTP/1.1\r\n", _received[0], StringComparison.Ordinal);
        Assert.Contains("\r\nHost: echo-v1:8080\r\n", _received[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        _response = "HTTP/1.1 302 Found\r\nLocation: http://echo:8083/port\r\nContent-Length: 0\r\n\r\n";
        using var client = new MeshClient(Sidecar);
        var response = await client.SendAsync(new MeshRequest { Url = new Uri("http://echo/port") }, CancellationToken.None);

        Assert.Equal(302, response.StatusCode);
        Assert.Equal("http://echo:8083/port", response.Header("Location"));
        Assert.Equal(2, _received.Count);
    }

    [Fact]
    public async Task Chunked_and_close_delimited_bodies_are_read()
    {
        _response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        using (var client = new MeshClient(Sidecar))
        {
            Assert.Equal("abcde", (await client.SendAsync(new MeshRequest { Url = new Uri("http://echo/") }, CancellationToken.None)).BodyText);
        }

        _response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close";
        using (var client = new MeshClient(Sidecar))
        {
            Assert.Equal("until-close", (await client.SendAsync(new MeshRequest { Url = new Uri("http://echo/") }, CancellationToken.None)).BodyText);
        }
    }

    [Fact]
    public async Task gRPC_URLs_are_refused_clearly()
    {
        using var client = new MeshClient(Sidecar);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => client.SendAsync(new MeshRequest { Url = new Uri("grpc://echo:7070") }, CancellationToken.None));

        Assert.Equal("grpc:// URLs go through MeshGrpcClient", error.Message);
    }
}
