using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Admin;
using Weft.Proxy.Tests.Infrastructure;
using Xunit;

namespace Weft.Proxy.Tests.Admin;

/// <summary>The app's kubelet probes, rewritten by the injector to the admin port, answered by asking the app.</summary>
public class AppProbesTests
{
    private static async Task<(int Status, bool Answered)> ProbeAsync(AppProbes probes, string path)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var answered = await probes.TryAnswerAsync(context, path, IPAddress.Loopback);
        return (context.Response.StatusCode, answered);
    }

    [Fact]
    public async Task An_http_probe_gets_the_apps_own_status_for_the_path_and_headers_it_named()
    {
        await using var app = await TestBackend.StartAsync("app");
        app.Handler = (context, _) =>
        {
            context.Response.StatusCode = context.Request.Path == "/healthz" && context.Request.Headers["x-probe"] == "kubelet" ? 204 : 500;
            return Task.CompletedTask;
        };
        using var probes = new AppProbes(AppProbes.Parse($$"""
            {
              "/app-health/web/readiness": {"port": {{app.Port}}, "path": "/healthz", "scheme": "HTTP", "httpHeaders": [{"name": "x-probe", "value": "kubelet"}], "timeoutSeconds": 10},
              "/app-health/web/liveness": {"port": {{app.Port}}, "path": "/other", "timeoutSeconds": 10}
            }
            """));

        Assert.Equal((204, true), await ProbeAsync(probes, "/app-health/web/readiness"));
        Assert.Equal((500, true), await ProbeAsync(probes, "/app-health/web/liveness"));
        Assert.False((await ProbeAsync(probes, "/app-health/web/startup")).Answered);
    }

    [Fact]
    public async Task A_tcp_probe_is_200_while_the_port_accepts_and_503_once_it_does_not()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var probes = new AppProbes(AppProbes.Parse($$$"""{"/app-health/db/liveness": {"tcp": {{{port}}}, "timeoutSeconds": 2}}"""));

        Assert.Equal((200, true), await ProbeAsync(probes, "/app-health/db/liveness"));
        listener.Stop();
        Assert.Equal((503, true), await ProbeAsync(probes, "/app-health/db/liveness"));
    }

    [Fact]
    public async Task An_app_that_does_not_answer_within_the_probes_timeout_is_503()
    {
        await using var app = await TestBackend.StartAsync("slow");
        app.Handler = (context, _) => Task.Delay(Timeout.Infinite, context.RequestAborted);
        using var probes = new AppProbes(AppProbes.Parse($$$"""{"/app-health/web/readiness": {"port": {{{app.Port}}}, "path": "/", "timeoutSeconds": 1}}"""));

        Assert.Equal((503, true), await ProbeAsync(probes, "/app-health/web/readiness"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"/elsewhere": {"tcp": 80}}""")]
    [InlineData("""{"/app-health/a/readiness": {"tcp": 70000}}""")]
    [InlineData("""{"/app-health/a/readiness": {"path": "/"}}""")]
    public void A_probe_map_that_is_not_the_injectors_is_refused(string json)
    {
        Assert.Throws<FormatException>(() => AppProbes.Parse(json));
    }
}
