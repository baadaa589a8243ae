namespace Weft.Echo;

/// <summary>What an echo port speaks.</summary>
public enum EchoPortKind
{
    /// <summary>HTTP/1.1 and h2c prior knowledge on one cleartext port.</summary>
    Http,

    /// <summary>HTTP/1.1 and HTTP/2 over TLS (ALPN).</summary>
    Https,

    /// <summary>The EchoTestService gRPC API, HTTP/2 cleartext.</summary>
    Grpc,

    /// <summary>The EchoTestService gRPC API over TLS.</summary>
    GrpcTls,

    /// <summary>Echoes the bytes it reads.</summary>
    Tcp,

    /// <summary>TCP echo over TLS.</summary>
    TcpTls,
}
