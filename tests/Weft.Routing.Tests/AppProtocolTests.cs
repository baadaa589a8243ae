using Weft.Routing.Internal;

namespace Weft.Routing.Tests;

/// <summary>One reading of a Service port's appProtocol, for a port without routes (gamma-spec C1) and for a backend (F5).</summary>
public sealed class AppProtocolTests
{
    [Theory]
    [InlineData(null, "opaque", "tcp")]
    [InlineData("http", "http", "http")]
    [InlineData("HTTP", "http", "http")]
    [InlineData("kubernetes.io/ws", "http", "http")]
    [InlineData("kubernetes.io/h2c", "http", "http2")]
    [InlineData("h2c", "http", "http2")]
    [InlineData("http2", "http", "http2")]
    [InlineData("grpc", "grpc", "http2")]
    [InlineData("https", "opaque", "tcp")]
    [InlineData("kubernetes.io/wss", "opaque", "tcp")]
    [InlineData("tls", "opaque", "tcp")]
    [InlineData("example.com/custom", "opaque", "tcp")]
    public void C1_without_routes_the_appProtocol_decides_the_policy_protocol_and_how_to_talk_to_the_endpoints(string? app, string protocol, string backend)
    {
        Assert.Equal((protocol, backend), ServiceAppProtocol.WithoutRoutes(app));
    }

    [Theory]
    [InlineData(null, "http", false, "http2", false)]
    [InlineData("example.com/custom", "http", false, "http2", false)]
    [InlineData("http", "http", false, "http", true)]
    [InlineData("kubernetes.io/ws", "http", false, "http", true)]
    [InlineData("kubernetes.io/h2c", "http2", false, "http2", false)]
    [InlineData("h2c", "http2", false, "http2", false)]
    [InlineData("http2", "http2", false, "http2", false)]
    [InlineData("grpc", "http2", false, "http2", false)]
    [InlineData("https", "http", true, "http", true)]
    [InlineData("kubernetes.io/wss", "http", true, "http", true)]
    [InlineData("tls", "http", true, "http", true)]
    public void F5_a_backend_port_is_spoken_to_as_its_appProtocol_says_or_as_the_route_type_infers(
        string? app, string httpBackend, bool httpRefused, string grpcBackend, bool grpcRefused)
    {
        var http = ServiceAppProtocol.ForRoute(app, RouteType.Http);
        var grpc = ServiceAppProtocol.ForRoute(app, RouteType.Grpc);

        Assert.Equal((httpBackend, httpRefused), (http.Backend, http.Problem is not null));
        Assert.Equal((grpcBackend, grpcRefused), (grpc.Backend, grpc.Problem is not null));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("grpc")]
    [InlineData("tls")]
    [InlineData(null)]
    public void F5_an_L4_route_tunnels_bytes_to_its_backend_whatever_the_appProtocol(string? app)
    {
        Assert.Equal(("tcp", (string?)null), ServiceAppProtocol.ForRoute(app, RouteType.Tcp));
        Assert.Equal(("tcp", (string?)null), ServiceAppProtocol.ForRoute(app, RouteType.Tls));
    }
}
