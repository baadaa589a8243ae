using System.Globalization;
using System.Net;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Outbound;

public sealed class SafetyTests
{
    [Fact]
    public async Task Request_addressed_to_the_proxy_itself_is_refused_not_looped()
    {
        await using var mesh = await TestMesh.StartAsync();

        var (response, _) = await mesh.GetAsync($"http://{mesh.Proxy.OutboundEndpoint}/loop");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Fact]
    public async Task Inbound_request_for_the_proxy_own_port_is_400()
    {
        await using var mesh = await TestMesh.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{mesh.Proxy.InboundEndpoint}/");
        request.Headers.Add("weft-dst-port", mesh.Proxy.InboundEndpoint.Port.ToString(CultureInfo.InvariantCulture));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task No_policy_yet_is_503_even_for_a_loopback_destination()
    {
        await using var mesh = await TestMesh.StartAsync(new UnavailableSource());

        var (response, _) = await mesh.GetAsync("http://127.0.0.1:9/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    private sealed class UnavailableSource : IDestinationSource
    {
        public ValueTask<Weft.Routing.Matching.RouteTable?> GetAsync(string host, int port, CancellationToken ct) =>
            throw new DestinationUnavailableException("control plane unreachable");

        public ValueTask<Weft.Routing.Policy.OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct) =>
            throw new DestinationUnavailableException("control plane unreachable");

        public IReadOnlyList<DestinationSnapshot> Snapshot() => [];
    }
}
