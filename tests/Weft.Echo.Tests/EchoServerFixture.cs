using System.Net;

namespace Weft.Echo.Tests;

/// <summary>One echo server on loopback with OS-assigned HTTP, gRPC and TCP ports, shared by a test class.</summary>
public sealed class EchoServerFixture : IAsyncLifetime
{
    public const string Hostname = "echo-v1-7c9d-x2z";

    public EchoServer Server { get; } = new(new EchoOptions
    {
        HttpPorts = [0],
        GrpcPorts = [0],
        TcpPorts = [0],
        BindAddress = IPAddress.Loopback,
        Hostname = Hostname,
        ServiceVersion = "v1",
    });

    public int HttpPort => Server.Endpoint(EchoPortKind.Http).Port;

    public int GrpcPort => Server.Endpoint(EchoPortKind.Grpc).Port;

    public int TcpPort => Server.Endpoint(EchoPortKind.Tcp).Port;

    public Uri HttpUri(string pathAndQuery) => new($"http://127.0.0.1:{HttpPort}{pathAndQuery}");

    public Task InitializeAsync() => Server.StartAsync(CancellationToken.None);

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}
