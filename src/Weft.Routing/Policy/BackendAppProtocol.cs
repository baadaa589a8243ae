namespace Weft.Routing.Policy;

/// <summary>How a proxy talks to a backend's endpoints (<see cref="BackendPolicy.AppProtocol"/>), as a Service port's appProtocol decides it.</summary>
public static class BackendAppProtocol
{
    /// <summary>HTTP/1.1 (or whatever the client spoke, for an HTTP/2 client).</summary>
    public const string Http = "http";

    /// <summary>HTTP/2 without TLS (h2c, prior knowledge): <c>kubernetes.io/h2c</c>, <c>h2c</c>, <c>http2</c> and <c>grpc</c> ports.</summary>
    public const string Http2 = "http2";

    /// <summary>An opaque byte stream.</summary>
    public const string Tcp = "tcp";
}
