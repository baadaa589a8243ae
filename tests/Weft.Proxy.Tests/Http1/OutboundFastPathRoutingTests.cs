using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The fast path plans a request as the full path does (rule match on path, headers, query and method, then the
/// weighted pick of gamma-spec F2), one request after another on a keep-alive client connection. A one-pod mesh: the
/// endpoints are scripted apps behind the same sidecar's inbound listener, and a response without a Date header came
/// through the fast path on both hops.
/// </summary>
public sealed class OutboundFastPathRoutingTests
{
    [Theory]
    [InlineData("GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v1 /api/items")]
    [InlineData("GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\nX-Version: v2\r\n\r\n", "v2 /api/items")]
    [InlineData("GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\nx-version:  v2 \r\n\r\n", "v2 /api/items")]
    [InlineData("GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\nX-Version: v3\r\n\r\n", "v1 /api/items")]
    [InlineData("GET http://web:8080/api/items HTTP/1.1\r\nHost: web:8080\r\nX-Version: v2\r\nX-Version: v1\r\n\r\n", "v1 /api/items")]
    [InlineData("GET http://web:8080/exact HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v2 /exact")]
    [InlineData("GET http://web:8080/exact/more HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v1 /exact/more")]
    [InlineData("GET http://web:8080/exact?x=1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v2 /exact?x=1")]
    [InlineData("GET http://web:8080/search?env=canary HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v2 /search?env=canary")]
    [InlineData("GET http://web:8080/search?env=prod HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v1 /search?env=prod")]
    [InlineData("DELETE http://web:8080/items/1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v2 /items/1")]
    [InlineData("GET http://web:8080/items/1 HTTP/1.1\r\nHost: web:8080\r\n\r\n", "v1 /items/1")]
    public async Task Header_path_query_and_method_matches_pick_the_rule_s_backend_on_the_fast_path(string request, string expected)
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        await using var proxy = await StartAsync(v1, v2);

        var response = await proxy.ExchangeAsync(request);

        Assert.Equal(200, response.Status);
        Assert.False(response.Has("Date"));
        Assert.StartsWith(expected + " host=", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_requests_on_one_client_connection_each_reach_the_backend_of_their_own_destination_and_rule()
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        await using var other = OutboundPolicies.App("other");
        await using var proxy = await OutboundProxy.StartAsync(
            ("web:8080", Rules(v1, v2)),
            ("other:9090", Service("other", 9090, defaultBackend: OutboundPolicies.Backend("other", other))));
        await using var client = await proxy.ConnectAsync();

        string[] requests =
        [
            OutboundProxy.Get("http://web:8080/a"),
            OutboundProxy.Get("http://web:8080/a", "X-Version: v2\r\n"),
            OutboundProxy.Get("http://other:9090/b"),
            OutboundProxy.Get("http://web:8080/exact"),
            $"POST http://other:9090/c HTTP/1.1\r\nHost: other:9090\r\nContent-Length: 3\r\n\r\nabc",
            OutboundProxy.Get("http://web:8080/search?env=canary"),
        ];
        string[] expected = ["v1 /a host=web:8080", "v2 /a host=web:8080", "other /b host=other:9090", "v2 /exact host=web:8080", "other /c host=other:9090", "v2 /search?env=canary host=web:8080"];
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < requests.Length; i++)
            {
                await client.SendAsync(requests[i]);
                var response = await client.ReadResponseAsync();

                Assert.Equal(expected[i], response.BodyText);
                Assert.False(response.Has("Date"));
                Assert.False(response.Has("Connection"));
            }
        }

        Assert.Equal(5, v1.Received.Count);
        Assert.Equal(15, v2.Received.Count);
        Assert.Equal(10, other.Received.Count);
    }

    [Fact]
    public async Task Weights_spread_fast_path_requests_between_the_rule_s_backends()
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080,
            [Rule(backends: [OutboundPolicies.Backend("v1", v1, weight: 70), OutboundPolicies.Backend("v2", v2, weight: 30)])])));
        await using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 200; i++)
        {
            await client.SendAsync(OutboundProxy.Get("http://web:8080/"));
            var response = await client.ReadResponseAsync();
            Assert.False(response.Has("Date"));
        }

        // 140 expected, sd ~6.5: 110..170 is more than 4 sd either way.
        Assert.InRange(v1.Received.Count, 110, 170);
        Assert.Equal(200, v1.Received.Count + v2.Received.Count);
    }

    [Theory]
    [InlineData("filtered")]
    [InlineData("invalid")]
    [InlineData("http2")]
    public async Task A_backend_the_fast_path_hands_on_keeps_its_weight_against_a_plain_one(string kind)
    {
        // Each request on a new connection, so each is planned on the fast path first: a pick of the other backend is
        // handed on to the full path, which must keep that pick (it drew again: 25% instead of 50%).
        await using var plain = OutboundPolicies.App("plain");
        await using var other = OutboundPolicies.App("other");
        var otherBackend = OutboundPolicies.Backend("other", other, weight: 50);
        otherBackend = kind switch
        {
            "filtered" => otherBackend with { Filters = [RequestHeaders(new HeaderModifierPolicy { Set = [Header("x-backend-filter", "yes")] })] },
            "invalid" => otherBackend with { Invalid = "BackendNotFound" },
            // The scripted app reads HTTP/1.1 only: an h2c backend is a port where nothing listens (the full path answers 502).
            _ => OutboundPolicies.Backend("other", 50, ClosedPort()) with { AppProtocol = BackendAppProtocol.Http2 },
        };
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080,
            [Rule(backends: [OutboundPolicies.Backend("plain", plain, weight: 50), otherBackend])])));

        const int Requests = 400;
        var toOther = 0;
        for (var i = 0; i < Requests; i++)
        {
            await using var client = await proxy.ConnectAsync();
            await client.SendAsync(OutboundProxy.Get("http://web:8080/"));
            var response = await client.ReadResponseAsync();
            toOther += response.Status == 200 && response.BodyText.StartsWith("plain ", StringComparison.Ordinal) ? 0 : 1;
        }

        // 200 expected, sd 10: 155..245 is 4.5 sd either way; a second draw gives about 100.
        Assert.InRange(toOther, 155, 245);
        Assert.Equal(Requests - toOther, plain.Received.Count);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Endpoints_of_one_backend_share_its_requests()
    {
        await using var a = OutboundPolicies.App("a");
        await using var b = OutboundPolicies.App("b");
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, defaultBackend: OutboundPolicies.Backend("web", 1, a.Port, b.Port))));
        var clients = new List<RawConnection>();
        try
        {
            // Concurrent requests on several connections: power of two choices spreads them over both endpoints.
            for (var i = 0; i < 8; i++)
            {
                clients.Add(await proxy.ConnectAsync());
            }

            for (var round = 0; round < 10; round++)
            {
                await Task.WhenAll(clients.Select(c => c.SendAsync(OutboundProxy.Get("http://web:8080/"))));
                var responses = await Task.WhenAll(clients.Select(c => c.ReadResponseAsync()));
                Assert.All(responses, r => Assert.Equal(200, r.Status));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        Assert.Equal(80, a.Received.Count + b.Received.Count);
        Assert.True(!a.Received.IsEmpty && !b.Received.IsEmpty, $"a got {a.Received.Count}, b got {b.Received.Count}");
    }

    [Fact]
    public async Task A_Host_header_match_sees_the_absolute_form_authority_as_the_full_path_does()
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        var policy = Service("web", 8080, [Rule(OutboundPolicies.Header("host", "spoofed.example"), backends: OutboundPolicies.Backend("v2", v2)), Rule(backends: OutboundPolicies.Backend("v1", v1))]);
        await using var fast = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath: true);
        await using var full = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath: false);
        var request = OutboundProxy.Get("http://web:8080/", host: "spoofed.example");

        var viaFull = await full.ExchangeAsync(request);
        var viaFast = await fast.ExchangeAsync(request);

        Assert.Equal("v1 / host=web:8080", viaFull.BodyText);
        Assert.Equal(viaFull.BodyText, viaFast.BodyText);
    }

    [Fact]
    public async Task A_backslash_in_an_absolute_form_path_is_routed_as_the_full_path_routes_it()
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        var policy = Service("web", 8080, [Rule(PathPrefix("/admin"), backends: OutboundPolicies.Backend("v2", v2)), Rule(backends: OutboundPolicies.Backend("v1", v1))]);
        await using var fast = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath: true);
        await using var full = await OutboundProxy.StartAsync([("web:8080", policy)], fastPath: false);
        var request = OutboundProxy.Get("http://web:8080/x\\..\\admin\\secret");

        var viaFull = await full.ExchangeAsync(request);
        var viaFast = await fast.ExchangeAsync(request);

        Assert.Equal("v2 /admin/secret host=web:8080", viaFull.BodyText);
        Assert.Equal(viaFull.BodyText, viaFast.BodyText);
    }

    private static Task<OutboundProxy> StartAsync(ScriptedApp v1, ScriptedApp v2) => OutboundProxy.StartAsync(("web:8080", Rules(v1, v2)));

    /// <summary>v2 for X-Version: v2, /exact, ?env=canary and DELETE; v1 for everything else.</summary>
    private static DestinationPolicy Rules(ScriptedApp v1, ScriptedApp v2) => Service("web", 8080,
    [
        Rule(OutboundPolicies.Header("X-Version", "v2"), backends: OutboundPolicies.Backend("v2", v2)),
        Rule(Exact("/exact"), backends: OutboundPolicies.Backend("v2", v2)),
        Rule(OutboundPolicies.Query("env", "canary"), backends: OutboundPolicies.Backend("v2", v2)),
        Rule(PathPrefix("/items") with { Method = "DELETE" }, backends: OutboundPolicies.Backend("v2", v2)),
        Rule(PathPrefix("/"), backends: OutboundPolicies.Backend("v1", v1)),
    ]);
}
