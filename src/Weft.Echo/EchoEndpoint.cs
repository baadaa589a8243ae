using System.Net;

namespace Weft.Echo;

/// <summary>
/// A port an <see cref="EchoServer"/> is serving: <see cref="ConfiguredPort"/> is the one asked for
/// (0 for an OS-assigned port), <see cref="EndPoint"/> the address actually bound.
/// </summary>
public sealed record EchoEndpoint(EchoPortKind Kind, int ConfiguredPort, IPEndPoint EndPoint)
{
    public int Port => EndPoint.Port;

    public override string ToString() => $"{EndPoint} ({Describe(Kind)})";

    internal static string Describe(EchoPortKind kind) => kind switch
    {
        EchoPortKind.Http => "http/1.1+h2c",
        EchoPortKind.Https => "https: http/1.1+h2",
        EchoPortKind.Grpc => "grpc",
        EchoPortKind.GrpcTls => "grpc+tls",
        EchoPortKind.Tcp => "tcp",
        EchoPortKind.TcpTls => "tcp+tls",
        _ => kind.ToString(),
    };
}
