using System.Net;
using System.Net.Sockets;
using Weft.Cli.Commands;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft curl</c> says what went wrong as curl would, not HttpClient's "An error occurred while sending the request."
/// alone: the causes it wraps, and for an answer that never came to a pod without a sidecar, strict mTLS's silence.
/// </summary>
public sealed class CurlErrorTests
{
    private static PodState Pod(bool sidecar) => new()
    {
        Namespace = "offns",
        Name = "client-7c9b-k4k2p",
        Deployment = "client",
        IP = "198.19.0.5",
        Ready = true,
        ServiceAccount = "default",
        Sidecar = SidecarPorts.Default,
        HasSidecar = sidecar,
    };

    [Fact]
    public void A_connection_closed_without_a_response_from_a_pod_without_a_sidecar_names_strict_mTLS()
    {
        var e = new HttpRequestException(HttpRequestError.ResponseEnded, "An error occurred while sending the request.", new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."));

        var text = CurlCommand.Describe(e, Pod(sidecar: false));

        Assert.StartsWith("the connection was closed without a response (offns/client-7c9b-k4k2p has no sidecar", text, StringComparison.Ordinal);
        Assert.Contains("strict mTLS", text, StringComparison.Ordinal);
        Assert.Contains("weft.dev/mtls: permissive", text, StringComparison.Ordinal);
        Assert.Equal("the connection was closed without a response (the destination's sidecar logs why)", CurlCommand.Describe(e, Pod(sidecar: true)));
    }

    [Fact]
    public void Another_failure_is_said_with_the_causes_it_wraps()
    {
        var e = new HttpRequestException(HttpRequestError.ConnectionError, "An error occurred while sending the request.", new SocketException((int)SocketError.ConnectionRefused));

        var text = CurlCommand.Describe(e, Pod(sidecar: true));

        Assert.Equal($"An error occurred while sending the request: {new SocketException((int)SocketError.ConnectionRefused).Message}", text);
    }
}
