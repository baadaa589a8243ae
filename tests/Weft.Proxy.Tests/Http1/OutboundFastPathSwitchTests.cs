using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// <c>ProxyOptions.Http1FastPath</c> on and off give a client the same status and body, request for request: the fast
/// path forwards the plain ones itself and hands the others to the full path. The table also says which requests the
/// fast path is expected to take (no Date: Kestrel never saw them).
/// </summary>
public sealed class OutboundFastPathSwitchTests
{
    public static TheoryData<string, bool> Requests => new()
    {
        { "GET http://web:8080/api/items?x=1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", true },
        { "GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\nX-Version: v2\r\n\r\n", true },
        { "GET http://web:8080/exact HTTP/1.1\r\nHost: web:8080\r\n\r\n", true },
        { "GET http://web:8080/api/items HTTP/1.1\r\nHost: other.example\r\n\r\n", false },
        { "POST http://web:8080/api/post HTTP/1.1\r\nHost: web:8080\r\nContent-Length: 5\r\n\r\nhello", true },
        { "DELETE http://web:8080/api/1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", true },
        { "OPTIONS http://web:8080/api HTTP/1.1\r\nHost: web:8080\r\n\r\n", true },
        { "HEAD http://web:8080/api/head HTTP/1.1\r\nHost: web:8080\r\n\r\n", true },
        { "GET http://plain:8080/any/path?q HTTP/1.1\r\nHost: plain:8080\r\n\r\n", true },
        { "GET http://plain:8080 HTTP/1.1\r\nHost: plain:8080\r\n\r\n", true },
        { "GET http://web:8080/api/dst HTTP/1.1\r\nHost: web:8080\r\nweft-dst-port: x\r\n\r\n", false },
        { "GET http://web:8080/nowhere HTTP/1.1\r\nHost: web:8080\r\n\r\n", false },
        { "GET http://web:8080/redirect?q=1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", false },
        { "GET http://empty:8080/ HTTP/1.1\r\nHost: empty:8080\r\n\r\n", false },
        { "GET http://invalid:8080/ HTTP/1.1\r\nHost: invalid:8080\r\n\r\n", false },
        { "GET http://web:8080/api/a%2Fb HTTP/1.1\r\nHost: web:8080\r\n\r\n", false },
        { "GET http://web:8080/api/x/../y HTTP/1.1\r\nHost: web:8080\r\n\r\n", false },
        { "GET http://web:8080/api/http10 HTTP/1.0\r\nHost: web:8080\r\n\r\n", false },
        { "POST http://web:8080/api/chunked HTTP/1.1\r\nHost: web:8080\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false },
        { "POST http://web:8080/api/expect HTTP/1.1\r\nHost: web:8080\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi", false },
        { "GET http://127.0.0.1:{v1}/direct HTTP/1.1\r\nHost: 127.0.0.1:{v1}\r\n\r\n", false },
        { "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", false },
        { "GET /origin-form HTTP/1.1\r\nHost: web:8080\r\n\r\n", false },
        { "GET http://web:8080/api HTTP/1.1\r\nHost: web:8080\r\nHost: web:8080\r\n\r\n", false },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public Task The_fast_path_on_and_off_give_the_same_status_and_body(string template, bool takenByTheFastPath) =>
        AssertSameAnswerAsync(template, takenByTheFastPath);

    [Fact]
    public Task A_header_value_with_a_non_ASCII_byte_gets_the_answer_it_gets_with_the_fast_path_off() =>
        AssertSameAnswerAsync("GET http://web:8080/api/latin1 HTTP/1.1\r\nHost: web:8080\r\nX-Name: caf\u00e9\r\n\r\n", takenByTheFastPath: false);

    [Fact]
    public async Task The_fast_path_on_and_off_give_the_same_answers_in_a_CONNECT_tunnel()
    {
        string[] requests =
        [
            "GET /api/one HTTP/1.1\r\nHost: web\r\n\r\n",
            "GET /nowhere HTTP/1.1\r\nHost: web\r\n\r\n",
            "GET /api/two HTTP/1.1\r\nHost: web\r\nX-Version: v2\r\n\r\n",
            "GET /api/%2e%2e/exact HTTP/1.1\r\nHost: web\r\n\r\n",
            "GET /api/three HTTP/1.1\r\nHost: web\r\n\r\n",
        ];
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        await using var fast = await OutboundProxy.StartAsync(Destinations(v1, v2), fastPath: true);
        await using var full = await OutboundProxy.StartAsync(Destinations(v1, v2), fastPath: false);
        await using var fastClient = await fast.TunnelAsync("web:8080");
        await using var fullClient = await full.TunnelAsync("web:8080");

        foreach (var request in requests)
        {
            await fastClient.SendAsync(request);
            await fullClient.SendAsync(request);
            var viaFast = await fastClient.ReadResponseAsync();
            var viaFull = await fullClient.ReadResponseAsync();

            Assert.Equal(viaFull.Status, viaFast.Status);
            Assert.Equal(viaFull.BodyText, viaFast.BodyText);
        }
    }

    private static async Task AssertSameAnswerAsync(string template, bool takenByTheFastPath)
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        var request = template.Replace("{v1}", v1.PortText, StringComparison.Ordinal);
        await using var fast = await OutboundProxy.StartAsync(Destinations(v1, v2), fastPath: true);
        await using var full = await OutboundProxy.StartAsync(Destinations(v1, v2), fastPath: false);

        var viaFast = await ExchangeAsync(fast, request);
        var viaFull = await ExchangeAsync(full, request);

        Assert.Equal(viaFull.Status, viaFast.Status);
        Assert.Equal(viaFull.BodyText, viaFast.BodyText);
        Assert.Equal(viaFull.Header("Location"), viaFast.Header("Location"));
        Assert.Equal(takenByTheFastPath, !viaFast.Has("Date"));
    }

    /// <summary>v2 for X-Version: v2 and /exact, a redirect at /redirect, v1 under /api; other paths match no rule (404).</summary>
    private static (string, DestinationPolicy)[] Destinations(ScriptedApp v1, ScriptedApp v2) =>
    [
        ("web:8080", Service("web", 8080,
        [
            Rule(OutboundPolicies.Header("X-Version", "v2"), backends: OutboundPolicies.Backend("v2", v2)),
            Rule(Exact("/exact"), backends: OutboundPolicies.Backend("v2", v2)),
            Rule(Exact("/redirect"), [new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = new RedirectPolicy { Path = new PathModifierPolicy { Type = "ReplaceFullPath", Value = "/moved" } } }]),
            Rule(PathPrefix("/api"), backends: OutboundPolicies.Backend("v1", v1)),
        ])),
        ("plain:8080", Service("plain", 8080, defaultBackend: OutboundPolicies.Backend("v1", v1))),
        ("empty:8080", Service("empty", 8080, [Rule(backends: OutboundPolicies.Backend("empty", 1))])),
        ("invalid:8080", Service("invalid", 8080, [Rule(backends: new BackendPolicy { Namespace = "default", Name = "missing", Port = 80, Invalid = "BackendNotFound" })])),
    ];

    private static async Task<RawResponse> ExchangeAsync(OutboundProxy proxy, string request)
    {
        await using var client = await proxy.ConnectAsync();
        await client.SendAsync(request);
        var response = await client.ReadResponseAsync(requestWasHead: request.StartsWith("HEAD ", StringComparison.Ordinal));
        return response.Status == 100 ? await client.ReadResponseAsync() : response;
    }
}
