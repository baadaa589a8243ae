using System.Net;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Outbound;

/// <summary>
/// Issue 15: the outbound port is no way for a local process to reach the control plane (or loop into the sidecar):
/// both the HTTP path (absolute-form) and CONNECT tunnels refuse its address and port.
/// </summary>
public sealed class ControlPlaneAddressTests
{
    [Fact]
    public async Task The_outbound_port_refuses_to_forward_to_the_control_plane_but_forwards_to_other_local_processes()
    {
        await using var controlPlane = await TestBackend.StartAsync("control-plane");
        await using var other = await TestBackend.StartAsync("other");
        await using var proxy = await Sidecar.StartAsync(options => options with { ControlPlane = new Uri($"https://127.0.0.1:{controlPlane.Port}") });
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://{proxy.Outbound}"), UseProxy = true });

        using var allowed = await client.GetAsync(new Uri($"http://127.0.0.1:{other.Port}/"));
        using var refused = await client.GetAsync(new Uri($"http://127.0.0.1:{controlPlane.Port}/"));
        using var tunnel = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://127.0.0.1:{controlPlane.Port}/"));
        var tunnelled = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(tunnel));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Equal(0, controlPlane.Count);
        Assert.Equal(1, other.Count);
        Assert.NotNull(tunnelled);
    }
}
