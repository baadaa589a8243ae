using System.Net;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Inbound;

public sealed class InboundTests
{
    [Fact]
    public async Task Inbound_forwards_to_the_port_in_weft_dst_port_and_strips_the_header()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var mesh = await TestMesh.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{mesh.Proxy.InboundEndpoint}/in/bound?q=1");
        request.Headers.Host = "echo";
        request.Headers.Add("weft-dst-port", app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("x-custom", "kept");

        var (response, seen) = await TestMesh.SendAsync(client, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        Assert.Equal("/in/bound", seen.Path);
        Assert.Equal("?q=1", seen.Query);
        Assert.Equal("echo", seen.Headers["host"]);
        Assert.Equal("kept", seen.Headers["x-custom"]);
        Assert.False(seen.Headers.ContainsKey("weft-dst-port"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    public async Task Inbound_without_a_valid_weft_dst_port_is_400(string? value)
    {
        await using var mesh = await TestMesh.StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{mesh.Proxy.InboundEndpoint}/");
        if (value is not null)
        {
            request.Headers.TryAddWithoutValidation("weft-dst-port", value);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
