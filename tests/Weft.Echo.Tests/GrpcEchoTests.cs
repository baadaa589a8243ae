using Grpc.Core;
using Grpc.Net.Client;
using Weft.Echo.Protocol;

namespace Weft.Echo.Tests;

public sealed class GrpcEchoTests(EchoServerFixture echo) : IClassFixture<EchoServerFixture>
{
    [Fact]
    public async Task Echo_answers_the_text_format_with_metadata_as_request_headers()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{echo.GrpcPort}");
        var client = new EchoTestService.EchoTestServiceClient(channel);

        var reply = await client.EchoAsync(
            new EchoRequest { Message = "hello" },
            new Metadata { { "x-request-id", "abc" }, { "X-Mixed-Case", "v" } });

        var body = EchoResponse.Parse(reply.Message);
        Assert.Equal(200, body.StatusCode);
        Assert.Equal("GRPC", body.Proto);
        Assert.Equal("v1", body.ServiceVersion);
        Assert.Equal(echo.GrpcPort, body.ServicePort);
        Assert.Equal($"127.0.0.1:{echo.GrpcPort}", body.Host);
        Assert.Equal("/proto.EchoTestService/Echo", body.Url);
        Assert.Equal("127.0.0.1", body.IP);
        Assert.Equal(["abc"], body.RequestHeader("x-request-id"));
        Assert.Contains(body.Fields, f => f.Key == "RequestHeader" && f.Value == "x-mixed-case:v");
        Assert.Empty(body.RequestHeader("content-type"));
        Assert.Empty(body.RequestHeader("te"));
        Assert.Equal("hello", body.Echo);
        Assert.Equal(EchoServerFixture.Hostname, body.Hostname);
    }

    [Fact]
    public async Task ForwardEcho_is_unimplemented()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{echo.GrpcPort}");
        var client = new EchoTestService.EchoTestServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.ForwardEchoAsync(new ForwardEchoRequest { Url = "http://x" }));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }
}
