using System.Net;
using System.Text.Json;
using Weft.Proxy.Tests.Infrastructure;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Admin;

public sealed class AdminTests
{
    [Fact]
    public async Task Ready_policies_and_stats_are_served()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(Exact("/ok"), backends: Backend(echo))])));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{mesh.Proxy.AdminEndpoint}") };
        await mesh.GetAsync("http://echo/ok");
        await mesh.GetAsync("http://echo/missing");

        using var ready = await admin.GetAsync("/ready");
        using var policies = JsonDocument.Parse(await admin.GetStringAsync("/policies"));
        // A request is counted once its response is written, which the client may read first: wait until both are.
        using var stats = JsonDocument.Parse(await Eventually.ValueAsync(
            () => admin.GetStringAsync("/stats"),
            text => Total(text, "outbound") == 2 && Total(text, "inbound") == 1,
            "/stats counts both requests"));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var destination = Assert.Single(policies.RootElement.GetProperty("destinations").EnumerateArray());
        Assert.Equal("echo", destination.GetProperty("host").GetString());
        Assert.Equal(80, destination.GetProperty("port").GetInt32());
        Assert.Equal(1, destination.GetProperty("rules").GetInt32());
        Assert.Equal("echo", destination.GetProperty("policy").GetProperty("serviceName").GetString());
        var outbound = stats.RootElement.GetProperty("outbound");
        Assert.Equal(1, outbound.GetProperty("2xx").GetInt64());
        Assert.Equal(1, outbound.GetProperty("4xx").GetInt64());
        Assert.Equal(1, stats.RootElement.GetProperty("inbound").GetProperty("2xx").GetInt64());
    }

    private static long Total(string stats, string listener)
    {
        using var json = JsonDocument.Parse(stats);
        return json.RootElement.GetProperty(listener).GetProperty("total").GetInt64();
    }
}
