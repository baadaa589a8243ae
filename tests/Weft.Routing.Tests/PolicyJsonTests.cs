using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

public class PolicyJsonTests
{
    [Fact]
    public void Policy_round_trips_through_JSON_byte_for_byte()
    {
        var rule = Rule(Prefix("/a").Headers(("x", "1")).Query(("q", "2")), Backend("echo-v1", 80, 3), Backend("missing", 80)).With(
            SetResponseHeader("X-Header-Set", "set"),
            new HttpRouteFilter
            {
                Type = HttpRouteFilterType.RequestMirror,
                RequestMirror = new HttpRequestMirrorFilter { BackendRef = Backend("echo-v2", 80), Percent = 10 },
            }) with
        {
            Timeouts = new HttpRouteTimeouts { Request = "10s" },
            Retry = new HttpRouteRetry { Codes = [503], Attempts = 2 },
        };
        var policy = Model(Http(Mesh, "r", Parent("echo", port: 80), rule)).Policy("echo");

        var json = PolicyJson.Serialize(policy);
        var back = PolicyJson.Deserialize(json);
        Assert.Equal(json, PolicyJson.Serialize(back));
        Assert.Equal(TimeSpan.FromSeconds(10), back.Rules[0].Timeouts!.Request);
        Assert.Equal("BackendNotFound", back.Rules[0].Backends[1].Invalid);
        Assert.Contains("\"clientNamespace\":\"gateway-conformance-mesh\"", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }
}
