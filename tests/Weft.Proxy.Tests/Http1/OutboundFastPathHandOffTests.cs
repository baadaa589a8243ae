using System.Diagnostics;
using System.Text;
using Weft.Proxy.Discovery;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// What the outbound fast path does not forward itself (answers, filters, timeouts, retries, paths Kestrel would
/// normalise, destinations outside the mesh, chunked bodies) it hands to Kestrel and <c>OutboundHandler</c> with nothing
/// of it read: the client gets the answer it gets with the fast path off. A one-pod mesh with scripted apps (no Date of
/// their own): a response with a Date header was answered by the full path.
/// </summary>
public sealed class OutboundFastPathHandOffTests
{
    [Fact]
    public async Task A_request_no_rule_matches_gets_the_full_path_s_404()
    {
        await using var app = OutboundPolicies.App("v1");
        var policy = Service("web", 8080, [Rule(Exact("/only"), backends: OutboundPolicies.Backend("v1", app))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/other"));

        Assert.Equal(404, response.Status);
        Assert.Equal("weft: no route rule of default/web:8080 matches\n", response.BodyText);
        Assert.Empty(app.Received);
    }

    [Fact]
    public async Task A_rule_with_a_RequestHeaderModifier_is_handed_off_and_the_filter_applied()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"set={r.Header("x-set")} add={r.Header("x-add")} removed={!r.Has("x-remove")}"));
        var modifier = new HeaderModifierPolicy { Set = [Header("x-set", "new")], Add = [Header("x-add", "added")], Remove = ["x-remove"] };
        var policy = Service("web", 8080, [Rule(filters: [RequestHeaders(modifier)], backends: OutboundPolicies.Backend("v1", app))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/", "x-set: old\r\nx-remove: 1\r\n"));

        Assert.Equal("set=new add=added removed=True", response.BodyText);
    }

    [Fact]
    public async Task A_backend_with_a_filter_of_its_own_is_handed_off_and_the_filter_applied()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"filter={r.Header("x-backend-filter")}"));
        var backend = OutboundPolicies.Backend("v1", app) with { Filters = [RequestHeaders(new HeaderModifierPolicy { Set = [Header("x-backend-filter", "yes")] })] };
        var policy = Service("web", 8080, [Rule(backends: backend)]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/"));

        Assert.Equal("filter=yes", response.BodyText);
    }

    [Fact]
    public async Task A_rule_with_a_ResponseHeaderModifier_is_handed_off_and_the_filter_applied()
    {
        await using var app = ScriptedApp.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Drop: 1\r\n\r\nok");
        var modifier = new HeaderModifierPolicy { Set = [Header("x-route", "web")], Remove = ["x-drop"] };
        var policy = Service("web", 8080, [Rule(filters: [ResponseHeaders(modifier)], backends: OutboundPolicies.Backend("v1", app))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/"));

        Assert.Equal("web", response.Header("x-route"));
        Assert.False(response.Has("x-drop"));
    }

    [Theory]
    [InlineData("ReplacePrefixMatch", "/new", "v1 /new/one?keep=1 host=web:8080")]
    [InlineData("ReplaceFullPath", "/full", "v1 /full?keep=1 host=web:8080")]
    public async Task A_rule_with_a_URLRewrite_is_handed_off_and_the_path_rewritten(string type, string value, string expected)
    {
        await using var app = OutboundPolicies.App("v1");
        var rewrite = new RewritePolicy { Path = new PathModifierPolicy { Type = type, Value = value, MatchedPrefix = "/prefix" } };
        var policy = Service("web", 8080, [Rule(PathPrefix("/prefix"), [new FilterPolicy { Kind = FilterKind.UrlRewrite, Rewrite = rewrite }], OutboundPolicies.Backend("v1", app))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/prefix/one?keep=1"));

        Assert.Equal(expected, response.BodyText);
    }

    [Fact]
    public async Task A_rule_with_a_URLRewrite_hostname_is_handed_off_and_the_Host_replaced()
    {
        await using var app = OutboundPolicies.App("v1");
        var rewrite = new RewritePolicy { Hostname = "rewritten.example" };
        var policy = Service("web", 8080, [Rule(filters: [new FilterPolicy { Kind = FilterKind.UrlRewrite, Rewrite = rewrite }], backends: OutboundPolicies.Backend("v1", app))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/x"));

        Assert.Equal("v1 /x host=rewritten.example", response.BodyText);
    }

    [Fact]
    public async Task A_redirect_rule_is_answered_by_the_full_path()
    {
        var redirect = new RedirectPolicy { StatusCode = 301, Hostname = "example.org" };
        var policy = Service("web", 8080, [Rule(filters: [new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = redirect }])]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get("http://web:8080/moved?q=1"));

        Assert.Equal(301, response.Status);
        Assert.Equal("http://example.org:8080/moved?q=1", response.Header("Location"));
    }

    [Fact]
    public async Task A_rule_with_a_request_timeout_is_handed_off_and_the_timeout_answers_504()
    {
        var never = new TaskCompletionSource();
        await using var app = ScriptedApp.Start(_ => new ScriptedReply([[], "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray()]) { HoldLastPart = never.Task });
        // Two seconds: time enough on a loaded machine for the handed-off request to reach the app before it is cut.
        var rule = Rule(backends: OutboundPolicies.Backend("v1", app)) with { Timeouts = new TimeoutPolicy { Request = TimeSpan.FromSeconds(2) } };
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, [rule])));

        var clock = Stopwatch.StartNew();
        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/slow"));

        Assert.Equal(504, response.Status);
        Assert.True(response.Has("Date"));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(15));
        await Eventually.TrueAsync(() => !app.Received.IsEmpty, "the request at the app");
        Assert.Single(app.Received);
    }

    [Fact]
    public async Task A_rule_with_a_retry_is_handed_off_and_a_503_retried()
    {
        // Every odd-numbered request fails: each proxy's first try gets 503, its retry 200.
        await using var app = ScriptedApp.Start(r => r.Number % 2 == 1
            ? ScriptedReply.Text("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
            : ScriptedReply.Ok($"try {r.Number}"));
        var rule = Rule(backends: OutboundPolicies.Backend("v1", app)) with { Retry = new RetryPolicy { Codes = [503], Attempts = 1, Backoff = TimeSpan.FromMilliseconds(1) } };
        await using var fast = await OutboundProxy.StartAsync([("web:8080", Service("web", 8080, [rule]))], fastPath: true);

        var response = await fast.ExchangeAsync(OutboundProxy.Get("http://web:8080/flaky"));

        Assert.Equal(200, response.Status);
        Assert.True(response.Has("Date"));
        Assert.Equal("try 2", response.BodyText);
        Assert.Equal(2, app.Received.Count);
    }

    [Fact]
    public async Task A_rule_with_a_mirror_is_handed_off_and_the_mirror_gets_a_copy()
    {
        await using var app = OutboundPolicies.App("v1");
        await using var shadow = OutboundPolicies.App("shadow");
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = OutboundPolicies.Backend("shadow", shadow) } };
        var policy = Service("web", 8080, [Rule(filters: [mirror], backends: OutboundPolicies.Backend("v1", app))]);
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", policy));

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/m"));

        Assert.Equal("v1 /m host=web:8080", response.BodyText);
        Assert.True(response.Has("Date"));
        await Eventually.TrueAsync(() => shadow.Received.Count == 1, "the mirror got its copy");
        Assert.Equal("/m", shadow.Received.Single().Target);
    }

    [Theory]
    [InlineData("http://web:8080/files/a%2Fb")]
    [InlineData("http://web:8080/files/a%20b?x=%2F")]
    [InlineData("http://web:8080/other/../files/./a")]
    [InlineData("http://web:8080/files/..")]
    public async Task A_path_Kestrel_would_decode_or_normalise_is_handed_off_and_routed_as_the_full_path_routes_it(string url)
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        var policy = Service("web", 8080, [Rule(PathPrefix("/files"), backends: OutboundPolicies.Backend("v2", v2)), Rule(backends: OutboundPolicies.Backend("v1", v1))]);

        var response = await SameAsFullPathAsync([("web:8080", policy)], OutboundProxy.Get(url));

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Dot_segments_in_a_CONNECT_tunnel_are_handed_off_and_normalised_before_routing()
    {
        await using var v1 = OutboundPolicies.App("v1");
        await using var v2 = OutboundPolicies.App("v2");
        var policy = Service("web", 8080, [Rule(PathPrefix("/files"), backends: OutboundPolicies.Backend("v2", v2)), Rule(backends: OutboundPolicies.Backend("v1", v1))]);
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", policy));
        await using var client = await proxy.TunnelAsync("web:8080");

        await client.SendAsync("GET /other/../files/a HTTP/1.1\r\nHost: web\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.True(response.Has("Date"));
        Assert.Equal("v2 /files/a host=web", response.BodyText);
    }

    [Fact]
    public async Task A_loopback_destination_outside_the_mesh_is_forwarded_untouched_by_the_full_path()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.RequestLine} host={r.Header("Host")} dst={r.Header("weft-dst-port")} custom={r.Header("x-custom")}"));
        await using var proxy = await OutboundProxy.StartAsync();
        var authority = $"127.0.0.1:{app.PortText}";

        var response = await proxy.ExchangeAsync(OutboundProxy.Get($"http://{authority}/direct?x=1", "x-custom: kept\r\nweft-dst-port: 1234\r\n"));

        Assert.Equal(200, response.Status);
        Assert.True(response.Has("Date"));
        Assert.Equal($"GET /direct?x=1 HTTP/1.1 host={authority} dst= custom=kept", response.BodyText);
    }

    [Fact]
    public async Task A_destination_outside_the_mesh_gets_the_full_path_s_outbound_policy()
    {
        var registryOnly = new Weft.Routing.Policy.OutsidePolicy { Mode = Weft.Routing.OutboundPolicies.RegistryOnly, Source = "the mesh default (--default-outbound-policy)" };
        await using var proxy = await OutboundProxy.StartAsync(new StaticDestinationSource([], registryOnly), fastPath: true);

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://example.com/"));

        Assert.Equal(403, response.Status);
        Assert.Equal("weft: registry-only: example.com:80 is not a Service of the mesh (outbound policy from the mesh default (--default-outbound-policy))\n", response.BodyText);
    }

    [Fact]
    public async Task A_destination_whose_policy_cannot_be_had_gets_the_full_path_s_503()
    {
        await using var proxy = await OutboundProxy.StartAsync(new UnavailableSource(), fastPath: true);

        var response = await proxy.ExchangeAsync(OutboundProxy.Get("http://web:8080/"));

        Assert.Equal(503, response.Status);
        Assert.Equal("weft: no policy for web:8080: control plane unreachable\n", response.BodyText);
    }

    [Fact]
    public async Task A_request_with_a_chunked_body_is_handed_off_and_its_body_reaches_the_app()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} got {Encoding.Latin1.GetString(r.Body)}"));
        var policy = Service("web", 8080, defaultBackend: OutboundPolicies.Backend("v1", app));

        var response = await SameAsFullPathAsync([("web:8080", policy)],
            "POST http://web:8080/up HTTP/1.1\r\nHost: web:8080\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

        Assert.Equal("/up got hello world", response.BodyText);
    }

    [Fact]
    public async Task A_client_connection_moves_to_the_full_path_at_its_first_hand_off_and_stays_there()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} {Encoding.Latin1.GetString(r.Body)}"));
        await using var proxy = await OutboundProxy.StartAsync(("web:8080", Service("web", 8080, defaultBackend: OutboundPolicies.Backend("v1", app))));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(OutboundProxy.Get("http://web:8080/fast"));
        var fast = await client.ReadResponseAsync();
        await client.SendAsync("POST http://web:8080/chunked HTTP/1.1\r\nHost: web:8080\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        var chunked = await client.ReadResponseAsync();
        await client.SendAsync(OutboundProxy.Get("http://web:8080/after"));
        var after = await client.ReadResponseAsync();

        Assert.Equal("/fast ", fast.BodyText);
        Assert.False(fast.Has("Date"));
        Assert.Equal("/chunked abc", chunked.BodyText);
        Assert.True(chunked.Has("Date"));
        Assert.Equal("/after ", after.BodyText);
        Assert.True(after.Has("Date"));
    }

    [Fact]
    public async Task An_origin_form_request_outside_a_tunnel_gets_the_full_path_s_400()
    {
        await using var proxy = await OutboundProxy.StartAsync();

        var response = await proxy.ExchangeAsync("GET /no/destination HTTP/1.1\r\nHost: web:8080\r\n\r\n");

        Assert.Equal(400, response.Status);
        Assert.StartsWith("weft: no destination", response.BodyText, StringComparison.Ordinal);
    }

    /// <summary>
    /// Sends <paramref name="request"/> through a proxy with the fast path and one without; asserts the first handed it
    /// off (Kestrel dated the answer) and both answered alike; returns the answer.
    /// </summary>
    private static async Task<RawResponse> SameAsFullPathAsync((string HostPort, DestinationPolicy Policy)[] destinations, string request)
    {
        await using var fast = await OutboundProxy.StartAsync(destinations, fastPath: true);
        await using var full = await OutboundProxy.StartAsync(destinations, fastPath: false);

        var viaFast = await fast.ExchangeAsync(request);
        var viaFull = await full.ExchangeAsync(request);

        Assert.True(viaFast.Has("Date"), $"handed to the full path: {viaFast.Head}");
        Assert.Equal(viaFull.Status, viaFast.Status);
        Assert.Equal(viaFull.BodyText, viaFast.BodyText);
        Assert.Equal(viaFull.Header("Location"), viaFast.Header("Location"));
        return viaFast;
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
