using System.Net;
using Weft.Proxy.Tests.Infrastructure;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Outbound;

public sealed class BadRequestTests
{
    [Theory]
    [InlineData("NONSENSE\r\n\r\n")]
    [InlineData("GET http://echo/ HTTP/1.1\r\nHost: echo\r\nContent-Length: banana\r\n\r\n")]
    [InlineData("GET /\x01 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT nohostport HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT echo:99999 HTTP/1.1\r\n\r\n")]
    public async Task Garbage_gets_400_and_the_proxy_keeps_serving(string garbage)
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, defaultBackend: Backend(echo))));

        var answer = await TestMesh.SendRawAsync(mesh.Proxy.OutboundEndpoint, garbage);
        var (after, seen) = await mesh.GetAsync("http://echo/after");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("/after", seen?.Path);
        await Eventually.TrueAsync(() => mesh.Logs.Lines.Any(l => l.Contains("bad request", StringComparison.OrdinalIgnoreCase) || l.Contains("Bad CONNECT", StringComparison.Ordinal)),
            "the bad request was logged");
    }

    [Fact]
    public async Task Origin_form_request_outside_a_tunnel_is_400()
    {
        await using var mesh = await TestMesh.StartAsync();

        var answer = await TestMesh.SendRawAsync(mesh.Proxy.OutboundEndpoint, "GET /path HTTP/1.1\r\nHost: echo\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains(mesh.Logs.Lines, l => l.Contains("has no destination", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Https_absolute_form_is_400()
    {
        await using var mesh = await TestMesh.StartAsync();

        var answer = await TestMesh.SendRawAsync(mesh.Proxy.OutboundEndpoint, "GET https://echo/ HTTP/1.1\r\nHost: echo\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
    }
}
