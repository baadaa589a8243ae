using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Weft.Discovery.V1;
using Weft.Proxy.Http1;
using Weft.Proxy.Metrics;
using Weft.Proxy.Tap;

namespace Weft.Proxy.Tests.Tap;

/// <summary>
/// The sidecar's tap hub (issue 16): free when no tap is open, at most <see cref="TapHub.MaxTaps"/> taps, filters applied
/// before an event takes a queue slot, and every bound (queue, rate, count) drops and counts instead of waiting.
/// </summary>
public sealed class TapHubTests
{
    private static readonly RequestLabels Outbound = new("outbound", "shop", "cart", "80", "HTTPRoute", "shop", "cart-split", "0", "shop/cart-v1:80");
    private static readonly RequestLabels Inbound = new("inbound", "", "", "8080", "", "", "", "", "");

    [Fact]
    public void An_offer_with_no_tap_open_allocates_nothing()
    {
        var hub = Hub(new FakeTimeProvider());
        var context = Request("GET", "/items");
        using var exchange = new RelayExchange();
        var target = new RelayTarget(new UpstreamKey("127.0.0.1", 1, null), 0, Outbound, null, "");
        hub.Offer(context, Outbound, 200, TimeSpan.FromMilliseconds(1)); // first calls JIT and initialise statics
        hub.Offer(exchange, target, 200, TimeSpan.FromMilliseconds(1));

        Assert.Equal(0, Allocations.Fewest(() =>
        {
            hub.Offer(context, Outbound, 200, TimeSpan.FromMilliseconds(1));
            hub.Offer(exchange, target, 200, TimeSpan.FromMilliseconds(1));
        }));
        Assert.False(hub.Active);
    }

    [Fact]
    public void Closing_the_last_tap_makes_offers_free_again()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;
        Assert.True(hub.Active);

        hub.Close(session);

        Assert.False(hub.Active);
        Assert.True(session.Events.Completion.IsCompleted);
    }

    [Fact]
    public void At_most_MaxTaps_taps_are_open_at_once()
    {
        var hub = Hub(new FakeTimeProvider());
        var open = Enumerable.Range(0, TapHub.MaxTaps).Select(_ => hub.TryOpen(new TapRequest())).ToArray();

        Assert.All(open, Assert.NotNull);
        Assert.Null(hub.TryOpen(new TapRequest()));
        hub.Close(open[0]!);
        Assert.NotNull(hub.TryOpen(new TapRequest()));
    }

    [Fact]
    public void An_event_carries_the_request_and_its_labels_but_never_the_query_string()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;

        hub.Offer(Request("POST", "/cart/items", "?token=secret", "cart.shop:80", status: 201), Outbound, 201, TimeSpan.FromMilliseconds(12.5));

        Assert.True(session.Events.TryRead(out var e));
        Assert.Equal(("outbound", "POST", "cart.shop:80", "/cart/items", 201, 12_500L), (e.Direction, e.Method, e.Authority, e.Path, e.Status, e.LatencyMicros));
        Assert.Equal(("shop", "spiffe://cluster.local/ns/shop/sa/client"), (e.SrcNamespace, e.SrcIdentity));
        Assert.Equal(("shop/cart", "HTTPRoute/shop/cart-split", "0", "shop/cart-v1:80"), (e.DstService, e.Route, e.Rule, e.Backend));
        Assert.Equal("shop/client-1", e.Pod);
        Assert.DoesNotContain("secret", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_grpc_call_carries_the_grpc_status_it_was_answered_with_from_its_trailers_or_its_only_header_block(bool trailersOnly)
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;
        var call = Request("POST", "/shop.Cart/Add");
        call.Request.ContentType = "application/grpc";
        var plain = Request("GET", "/");
        plain.Response.Headers["grpc-status"] = "2"; // not a call: no gRPC status is read
        if (trailersOnly)
        {
            call.Response.Headers["grpc-status"] = "14";
        }
        else
        {
            call.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>(new ResponseTrailers { Trailers = new HeaderDictionary { ["grpc-status"] = "14" } });
        }

        hub.Offer(call, Outbound, 200, TimeSpan.Zero);
        hub.Offer(plain, Outbound, 200, TimeSpan.Zero);

        Assert.True(session.Events.TryRead(out var e));
        Assert.Equal((true, true, 14), (e.Grpc, e.HasGrpcStatus, e.GrpcStatus));
        Assert.True(session.Events.TryRead(out var other));
        Assert.False(other.HasGrpcStatus);
    }

    [Fact]
    public void An_inbound_event_names_this_pod_as_the_destination()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;

        hub.Offer(Request("GET", "/"), Inbound, 200, TimeSpan.Zero);

        Assert.True(session.Events.TryRead(out var e));
        Assert.Equal(("inbound", "shop", "spiffe://cluster.local/ns/shop/sa/client", ""), (e.Direction, e.DstNamespace, e.DstIdentity, e.SrcIdentity));
    }

    [Theory]
    [InlineData("direction", "inbound", false)]
    [InlineData("direction", "outbound", true)]
    [InlineData("method", "get", true)]
    [InlineData("method", "POST", false)]
    [InlineData("path", "/cart", true)]
    [InlineData("path", "/items", false)]
    [InlineData("authority", "CART.shop:80", true)]
    [InlineData("authority", "other:80", false)]
    [InlineData("to", "shop/cart", true)]
    [InlineData("to", "cart", false)] // a Service is namespace/name, compared whole
    [InlineData("to", "other/cart", false)]
    [InlineData("from", "spiffe://cluster.local/ns/shop/sa/client", false)] // an outbound request has no caller to match
    public void Filters_are_applied_in_the_sidecar_before_an_event_is_queued(string filter, string value, bool queued)
    {
        var hub = Hub(new FakeTimeProvider());
        var request = new TapRequest();
        _ = filter switch
        {
            "direction" => request.Direction = value,
            "method" => request.Method = value,
            "path" => request.PathPrefix = value,
            "authority" => request.Authority = value,
            "to" => request.ToService = value,
            _ => request.FromIdentity = value,
        };
        var session = hub.TryOpen(request)!;

        hub.Offer(Request("GET", "/cart/items", host: "cart.shop:80"), Outbound, 200, TimeSpan.Zero);

        Assert.Equal(queued, session.Events.TryRead(out _));
        Assert.Equal(0, session.Dropped); // filtered out is not dropped
    }

    [Fact]
    public void An_offer_no_open_tap_wants_builds_no_event()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest { Direction = "inbound" })!;
        var context = Request("GET", "/items");
        var sent = "GET /items HTTP/1.1\r\nHost: cart.shop:80\r\n\r\n"u8.ToArray();
        hub.Offer(context, Outbound, 200, TimeSpan.Zero);
        hub.Offer(sent, 3, null, Outbound, 200, TimeSpan.Zero);

        Assert.Equal(0, Allocations.Fewest(() =>
        {
            hub.Offer(context, Outbound, 200, TimeSpan.Zero);
            hub.Offer(sent, 3, null, Outbound, 200, TimeSpan.Zero);
        }));
        Assert.False(session.Events.TryRead(out _));
    }

    [Fact]
    public void A_path_leaves_the_sidecar_still_percent_encoded()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;

        // Kestrel has decoded "/%1b]0;pwned%07" into Path: the event must not carry the raw escape sequence.
        hub.Offer(Request("GET", "/\u001b]0;pwned\u0007"), Outbound, 200, TimeSpan.Zero);

        Assert.True(session.Events.TryRead(out var e));
        Assert.DoesNotContain(e.Path, char.IsControl);
        Assert.StartsWith("/%1B", e.Path, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string> Directions => ["outbound", "inbound"];

    [Theory]
    [MemberData(nameof(Directions))]
    public void The_same_request_on_the_fast_and_full_paths_gives_the_same_event(string direction)
    {
        var labels = (direction == "outbound" ? Outbound : Inbound)
            .WithPeer("web", direction == "outbound" ? "cart" : "frontend", "spiffe://cluster.local/ns/web/sa/peer");
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest())!;

        hub.Offer(Request("POST", "/cart/a%20b", "?token=secret", status: 201), labels, 201, TimeSpan.FromMilliseconds(3));
        hub.Offer("POST /cart/a%20b?token=secret HTTP/1.1\r\nHost: cart.shop:80\r\nContent-Length: 0\r\n\r\n"u8, 4, null, labels, 201,
            TimeSpan.FromMilliseconds(3));

        Assert.True(session.Events.TryRead(out var full));
        Assert.True(session.Events.TryRead(out var fast));
        Assert.Equal(full, fast);
        Assert.Equal("/cart/a%20b", full.Path);
        var ends = (full.SrcNamespace, full.SrcWorkload, full.SrcIdentity, full.DstNamespace, full.DstWorkload, full.DstIdentity);
        Assert.Equal(direction == "outbound"
            ? ("shop", "client", "spiffe://cluster.local/ns/shop/sa/client", "shop", "cart", "spiffe://cluster.local/ns/web/sa/peer")
            : ("web", "frontend", "spiffe://cluster.local/ns/web/sa/peer", "shop", "client", "spiffe://cluster.local/ns/shop/sa/client"), ends);
    }

    [Fact]
    public void A_full_queue_drops_and_counts_instead_of_waiting()
    {
        var session = new TapSession(new TapFilter("", "", "", "", "", ""), capacity: 4, maxPerSecond: 100, maxEvents: 100, TimeSpan.FromMinutes(1), new FakeTimeProvider());

        var queued = Enumerable.Range(0, 6).Count(_ => session.Offer(new TapEvent { Direction = "outbound" }));

        Assert.Equal(4, queued);
        Assert.Equal(2, session.Dropped);
    }

    [Fact]
    public void Events_over_the_taps_rate_are_dropped_and_counted()
    {
        var time = new FakeTimeProvider();
        var hub = Hub(time);
        var session = hub.TryOpen(new TapRequest { MaxPerSecond = 5 })!;
        var context = Request("GET", "/");

        for (var i = 0; i < 8; i++)
        {
            hub.Offer(context, Outbound, 200, TimeSpan.Zero);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        hub.Offer(context, Outbound, 200, TimeSpan.Zero);

        Assert.Equal(6, session.Events.Count);
        Assert.Equal(3, session.Dropped);
    }

    [Fact]
    public void A_tap_ends_after_its_most_events()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest { MaxEvents = 2 })!;
        var context = Request("GET", "/");

        for (var i = 0; i < 3; i++)
        {
            hub.Offer(context, Outbound, 200, TimeSpan.Zero);
        }

        Assert.Equal(2, session.Events.Count);
        Assert.True(session.Full);
        Assert.True(session.Events.TryRead(out _) && session.Events.TryRead(out _));
        Assert.True(session.Events.Completion.IsCompleted);
    }

    [Fact]
    public void A_request_cannot_raise_the_sidecars_bounds()
    {
        var hub = Hub(new FakeTimeProvider());
        var session = hub.TryOpen(new TapRequest { MaxPerSecond = 1_000_000, MaxEvents = uint.MaxValue, MaxSeconds = uint.MaxValue })!;

        Assert.Equal((TapHub.MaxPerSecond, (long)TapHub.MaxEvents, TapHub.MaxDuration), (session.MaxPerSecond, session.MaxEvents, session.Duration));
    }

    private static TapHub Hub(TimeProvider time) =>
        new(new LocalWorkload("shop", "client", () => "spiffe://cluster.local/ns/shop/sa/client"), "client-1", time);

    private sealed class ResponseTrailers : Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }

    private static DefaultHttpContext Request(string method, string path, string query = "", string host = "cart.shop:80", int status = 200)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        context.Response.StatusCode = status;
        return context;
    }
}
