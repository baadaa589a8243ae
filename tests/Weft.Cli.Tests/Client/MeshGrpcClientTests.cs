using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Cli.Client;
using Weft.Cli.Conformance;
using Weft.Echo;

namespace Weft.Cli.Tests.Client;

/// <summary>
/// MeshGrpcClient against a real in-process echo server (gRPC port on loopback) behind a stand-in sidecar that answers
/// CONNECT and then relays bytes, so the h2c call inside the tunnel is the real thing.
/// </summary>
public sealed class MeshGrpcClientTests : IAsyncLifetime
{
    private readonly TcpListener _sidecar = new(IPAddress.Loopback, 0);
    private readonly List<string> _connects = [];
    private EchoServer? _echo;
    private Task _serving = Task.CompletedTask;
    private bool _speakHttp1Only;

    public async Task InitializeAsync()
    {
        _echo = new EchoServer(new EchoOptions
        {
            HttpPorts = [], GrpcPorts = [0], TcpPorts = [], BindAddress = IPAddress.Loopback, Hostname = "echo-v1-abc-xyz",
        });
        await _echo.StartAsync(CancellationToken.None);
        _sidecar.Start();
        _serving = ServeAsync();
    }

    public async Task DisposeAsync()
    {
        _sidecar.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
        }

        await _echo!.DisposeAsync();
    }

    private IPEndPoint Sidecar => (IPEndPoint)_sidecar.LocalEndpoint;

    private async Task ServeAsync()
    {
        while (true)
        {
            var socket = await _sidecar.AcceptSocketAsync();
            _ = RelayAsync(socket);
        }
    }

    private async Task RelayAsync(Socket socket)
    {
        using (socket)
        {
            await using var stream = new NetworkStream(socket);
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
            {
                head.Append((char)one[0]);
            }

            lock (_connects)
            {
                _connects.Add(head.ToString());
            }

            await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray());
            if (_speakHttp1Only)
            {
                // A sidecar without h2c: it reads the preface as an HTTP/1.1 request line and refuses it.
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());

                // A lingering close, as Kestrel does: closing with the client's preface unread would make the kernel send
                // a reset, and the client would see "connection reset" (now and then, by timing) instead of the answer.
                socket.Shutdown(SocketShutdown.Send);
                using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var sink = new byte[4096];
                try
                {
                    while (await stream.ReadAsync(sink, linger.Token) > 0)
                    {
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                }

                return;
            }

            using var upstream = new TcpClient();
            await upstream.ConnectAsync(_echo!.Endpoint(EchoPortKind.Grpc).EndPoint);
            await using var up = upstream.GetStream();
            var a = stream.CopyToAsync(up);
            var b = up.CopyToAsync(stream);
            await Task.WhenAny(a, b);
        }
    }

    private static MeshRequest Request(params (string, string)[] headers) =>
        new() { Url = new Uri("grpc://echo:7070"), Headers = [.. headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2))] };

    [Fact]
    public async Task It_calls_Echo_with_h2c_inside_a_CONNECT_tunnel_and_sends_headers_as_metadata()
    {
        using var client = new MeshGrpcClient(Sidecar);
        var response = await client.CallAsync(Request(("X-Test-Case", "set"), ("x-header-add", "a")), CancellationToken.None, "hi");

        Assert.Equal("OK", response.StatusName);
        var echo = EchoResponse.Parse(response.Message);
        Assert.Equal("echo-v1-abc-xyz", echo.Hostname);
        Assert.Equal("GRPC", echo.Proto);
        Assert.Equal(["set"], echo.RequestHeader("x-test-case"));
        Assert.Equal("hi", echo.Echo);
        Assert.StartsWith("CONNECT echo:7070 HTTP/1.1\r\n", _connects[0], StringComparison.Ordinal);
        Assert.Null(CaseCheck.CheckGrpc(new CaseExpectation { Status = ["OK"], Backend = "echo-v1", RequestHeaders = [new("x-test-case", "set")] }, response));
    }

    [Fact]
    public async Task A_batch_shares_one_connection()
    {
        using var client = new MeshGrpcClient(Sidecar);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, (await client.CallAsync(Request(), CancellationToken.None)).Status);
        }

        Assert.Single(_connects);
    }

    [Fact]
    public async Task A_sidecar_without_h2c_is_an_HTTP2_protocol_error_not_an_exception()
    {
        _speakHttp1Only = true;
        using var client = new MeshGrpcClient(Sidecar, TimeSpan.FromSeconds(5));
        var response = await client.CallAsync(Request(), CancellationToken.None);

        Assert.NotEqual(0, response.Status);
        Assert.True(MeshGrpcClient.IsHttp2ProtocolError(response), $"{response.StatusName}: {response.Detail} / {response.TransportError}");
    }

    [Fact]
    public void The_HTTP2_handshake_error_is_a_protocol_error_whichever_exception_carries_it()
    {
        // SocketsHttpHandler reports a peer that answered the h2c preface in HTTP/1.1 either way, depending on timing.
        const string Handshake = "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.";
        Assert.True(MeshGrpcClient.IsHttp2ProtocolError(new MeshGrpcResponse { Status = 13, TransportError = new HttpRequestException(Handshake) }));
        Assert.True(MeshGrpcClient.IsHttp2ProtocolError(new MeshGrpcResponse { Status = 13, TransportError = new HttpRequestException("outer", new IOException(Handshake)) }));
        Assert.False(MeshGrpcClient.IsHttp2ProtocolError(new MeshGrpcResponse { Status = 14, TransportError = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)") }));
    }

    [Fact]
    public void Metadata_is_lower_cased_and_skips_Host()
    {
        var metadata = MeshGrpcClient.BuildMetadata(Request(("X-Foo", "bar"), ("Host", "other")));
        Assert.Equal([("x-foo", "bar")], metadata.Select(e => (e.Key, e.Value)));
        Assert.Equal(new Uri("http://echo:7070"), MeshGrpcClient.ChannelAddress(Request()));
    }

    [Fact]
    public void Output_follows_the_upstream_echo_client_with_the_status()
    {
        var text = new MeshGrpcResponse { Status = 0, Message = "StatusCode=200\nHostname=echo-v1\n" }.Format(0);
        Assert.Equal("[0] grpcecho.Echo(message:\"\")\n[0 body] StatusCode=200\n[0 body] Hostname=echo-v1\n[0] Status=OK\n", text);
        Assert.EndsWith("[0] Status=UNAVAILABLE (no endpoints)\n", new MeshGrpcResponse { Status = 14, Detail = "no endpoints" }.Format(0), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckGrpc_compares_status_names()
    {
        var failure = CaseCheck.CheckGrpc(new CaseExpectation { Status = ["OK"] }, new MeshGrpcResponse { Status = 14, Detail = "down" });
        Assert.Equal("expected gRPC status OK, got UNAVAILABLE (down)", failure);
        Assert.Null(CaseCheck.CheckDistribution(new CaseExpectation { Status = ["OK"], Distribution = new Dictionary<string, double> { ["echo-v1"] = 1.0 } }, [("OK", "echo-v1-x")]));
    }
}
