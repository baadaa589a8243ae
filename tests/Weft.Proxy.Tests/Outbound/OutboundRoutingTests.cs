using System.Net;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Outbound;

public sealed class OutboundRoutingTests
{
    [Fact]
    public async Task AbsoluteForm_request_without_routes_goes_to_the_default_backend_with_Host_kept()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, defaultBackend: Backend(echo))));

        var (response, seen) = await mesh.GetAsync("http://echo/hello/world?x=1&y=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        Assert.Equal("GET", seen.Method);
        Assert.Equal("/hello/world", seen.Path);
        Assert.Equal("?x=1&y=2", seen.Query);
        Assert.Equal("echo", seen.Headers["host"]);
        Assert.False(seen.Headers.ContainsKey("weft-dst-port"), "the inbound side strips weft-dst-port");
        Assert.False(seen.Headers.ContainsKey("proxy-connection"));
        Assert.Equal("fixed", response.Headers.GetValues("x-backend-fixed").Single());
    }

    [Fact]
    public async Task AbsoluteForm_request_with_a_port_uses_that_destination()
    {
        await using var v1 = await TestBackend.StartAsync("echo-v1");
        await using var v2 = await TestBackend.StartAsync("echo-v2");
        await using var mesh = await TestMesh.StartAsync(
            ("echo:80", Service("echo", 80, defaultBackend: Backend(v1))),
            ("echo:8080", Service("echo", 8080, defaultBackend: Backend(v2))));

        var (_, on80) = await mesh.GetAsync("http://echo/");
        var (_, on8080) = await mesh.GetAsync("http://echo:8080/");

        Assert.Equal("echo-v1", on80?.Backend);
        Assert.Equal("echo-v2", on8080?.Backend);
        Assert.Equal("echo:8080", on8080?.Headers["host"]);
    }

    [Fact]
    public async Task MeshFrontendHostname_CONNECT_target_picks_the_service_and_the_tunnelled_Host_is_kept()
    {
        await using var v1 = await TestBackend.StartAsync("echo-v1");
        await using var v2 = await TestBackend.StartAsync("echo-v2");
        var v2Route = Rule(filters: [ResponseHeaders(new HeaderModifierPolicy { Set = [Header("x-route", "echo-v2")] })], backends: Backend(v2));
        await using var mesh = await TestMesh.StartAsync(
            ("127.10.1.1:80", Service("echo-v1", 80, defaultBackend: Backend(v1))),
            ("127.10.1.2:80", Service("echo-v2", 80, [v2Route])));
        var client = mesh.TunnelClient("127.10.1.2:80");

        for (var i = 0; i < 3; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "http://echo-v1/tunnelled");
            var (response, seen) = await TestMesh.SendAsync(client, request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("echo-v2", seen?.Backend);
            Assert.Equal("echo-v1", seen?.Headers["host"]);
            Assert.Equal("/tunnelled", seen?.Path);
            Assert.Equal("echo-v2", response.Headers.GetValues("x-route").Single());
        }
    }

    [Fact]
    public async Task No_matching_rule_is_404()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(Exact("/only"), backends: Backend(echo))])));

        var (matched, _) = await mesh.GetAsync("http://echo/only");
        var (unmatched, seen) = await mesh.GetAsync("http://echo/other");

        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unmatched.StatusCode);
        Assert.Null(seen);
    }

    [Fact]
    public async Task Rule_without_backends_is_500()
    {
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule()])));

        var (response, _) = await mesh.GetAsync("http://echo/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task Invalid_backend_is_500()
    {
        var invalid = new BackendPolicy { Namespace = "default", Name = "missing", Port = 80, Invalid = "BackendNotFound" };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(backends: invalid)])));

        var (response, _) = await mesh.GetAsync("http://echo/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("BackendNotFound", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Backend_without_endpoints_is_503()
    {
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(backends: Backend("empty"))])));

        var (response, _) = await mesh.GetAsync("http://echo/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Weighted_split_roughly_holds()
    {
        await using var v1 = await TestBackend.StartAsync("echo-v1");
        await using var v2 = await TestBackend.StartAsync("echo-v2");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(backends: [Backend(v1, weight: 70), Backend(v2, weight: 30)])])));

        var counts = new Dictionary<string, int> { ["echo-v1"] = 0, ["echo-v2"] = 0 };
        for (var i = 0; i < 200; i++)
        {
            var (response, seen) = await mesh.GetAsync("http://echo/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            counts[seen!.Backend]++;
        }

        // 140 expected, sd ~6.5: 110..170 is more than 4 sd either way.
        Assert.InRange(counts["echo-v1"], 110, 170);
        Assert.Equal(200, counts["echo-v1"] + counts["echo-v2"]);
    }

    [Fact]
    public async Task Unknown_loopback_destination_is_forwarded_untouched()
    {
        await using var app = await TestBackend.StartAsync("local");
        await using var mesh = await TestMesh.StartAsync();

        var (response, seen) = await mesh.GetAsync($"http://127.0.0.1:{app.Port}/direct", ("x-custom", "kept"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/direct", seen?.Path);
        Assert.Equal($"127.0.0.1:{app.Port}", seen?.Headers["host"]);
        Assert.Equal("kept", seen?.Headers["x-custom"]);
        Assert.False(seen?.Headers.ContainsKey("weft-dst-port"));
    }

    [Fact]
    public async Task Post_body_reaches_the_backend_and_the_response_body_comes_back()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(backends: Backend(echo))])));

        using var request = new HttpRequestMessage(HttpMethod.Post, "http://echo/upload") { Content = new StringContent("payload") };
        var (response, seen) = await TestMesh.SendAsync(mesh.Client, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST", seen?.Method);
        Assert.Equal("7", seen?.Headers["content-length"]);
    }
}
