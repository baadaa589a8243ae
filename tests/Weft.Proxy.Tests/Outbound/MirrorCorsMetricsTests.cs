using System.Net;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Outbound;

/// <summary>RequestMirror (gamma-spec G8), the CORS filter, and the Prometheus metrics of a named rule.</summary>
public sealed class MirrorCorsMetricsTests
{
    [Fact]
    public async Task A_mirrored_request_reaches_the_mirror_with_its_body_while_the_client_sees_only_the_primary()
    {
        await using var primary = await TestBackend.StartAsync("primary");
        await using var shadow = await TestBackend.StartAsync("shadow");
        shadow.RecordBodies = true;
        shadow.Handler = (context, _) =>
        {
            context.Response.StatusCode = 500; // never seen by the client
            return Task.CompletedTask;
        };
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = Policies.Backend(shadow) } };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Policies.Rule(filters: [mirror], backends: Policies.Backend(primary))])));

        var response = await mesh.Client.PostAsync("http://web/mirrored", new StringContent("payload"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("primary", response.Headers.GetValues("x-backend").Single());
        await Eventually.TrueAsync(() => shadow.Count == 1, "the mirror received the copy");
        Assert.Equal("/mirrored", shadow.Received.Single().Path);
        Assert.Equal("payload", shadow.Bodies.Single());
    }

    [Fact]
    public async Task A_mirror_with_share_zero_receives_nothing()
    {
        await using var primary = await TestBackend.StartAsync("primary");
        await using var shadow = await TestBackend.StartAsync("shadow");
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = Policies.Backend(shadow), Share = 0 } };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Policies.Rule(filters: [mirror], backends: Policies.Backend(primary))])));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await mesh.GetAsync("http://web/")).Response.StatusCode);
        }

        Assert.Equal(0, shadow.Count);
    }

    [Fact]
    public async Task A_CORS_preflight_is_answered_by_the_proxy_and_a_simple_response_gets_the_origin()
    {
        await using var backend = await TestBackend.StartAsync("web");
        var cors = new FilterPolicy
        {
            Kind = FilterKind.Cors,
            Cors = new CorsPolicy { AllowOrigins = ["https://app.example.com"], AllowMethods = ["GET", "PUT"], AllowHeaders = ["x-a"], MaxAge = 60 },
        };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Policies.Rule(filters: [cors], backends: Policies.Backend(backend))])));

        var preflight = new HttpRequestMessage(HttpMethod.Options, "http://web/x");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-a");
        var (answer, _) = await TestMesh.SendAsync(mesh.Client, preflight);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://app.example.com", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("GET, PUT", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("x-a", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Equal("60", answer.Headers.GetValues("Access-Control-Max-Age").Single());
        Assert.Equal(0, backend.Count);

        var (simple, echo) = await mesh.GetAsync("http://web/x", ("Origin", "https://app.example.com"));
        Assert.Equal("web", echo!.Backend);
        Assert.Equal("https://app.example.com", simple.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var (other, _) = await mesh.GetAsync("http://web/x", ("Origin", "https://evil.example.com"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Metrics_show_requests_by_named_rule_and_backend()
    {
        await using var backend = await TestBackend.StartAsync("web");
        var rule = Policies.Rule(backends: Policies.Backend(backend)) with
        {
            Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "default", RouteName = "routes", RuleIndex = 0, RuleName = "checkout", MatchIndex = 0 },
        };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [rule])));
        for (var i = 0; i < 3; i++)
        {
            await mesh.GetAsync("http://web/");
        }

        using var admin = new HttpClient();
        const string Labels = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"web\",dst_port=\"80\",route_kind=\"HTTPRoute\","
            + "route_namespace=\"default\",route_name=\"routes\",rule=\"checkout\",backend=\"default/web:80\","
            + "src_namespace=\"default\",src_workload=\"client\",src_identity=\"\",dst_workload=\"\",dst_identity=\"\"";

        // A request is recorded once its response is written, which the client may read first: wait for all three.
        await Eventually.ValueAsync(
            () => admin.GetStringAsync($"http://{mesh.Proxy.AdminEndpoint}/metrics"),
            text => text.Contains($"weft_requests_total{{{Labels},status_class=\"2xx\"}} 3\n", StringComparison.Ordinal)
                && text.Contains($"weft_request_duration_seconds_count{{{Labels}}} 3\n", StringComparison.Ordinal)
                && text.Contains("weft_requests_total{direction=\"inbound\"", StringComparison.Ordinal),
            "the three requests counted by rule and backend, and the inbound side counted");
    }
}
