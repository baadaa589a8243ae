using Weft.Discovery.Tap;
using Weft.Discovery.V1;
using Weft.Proxy.Tests.Http1;

namespace Weft.Proxy.Tests.Tap;

/// <summary>
/// The sidecar's tap endpoint (issue 16) with a real sidecar: an mTLS connection on the inbound port with ALPN
/// <c>weft-tap</c> is served only to the control plane's identity, and then streams the requests the sidecar completes,
/// on both HTTP/1.1 paths.
/// </summary>
public sealed class TapEndpointTests
{
    private static readonly string ControlPlane = TapWire.ControlPlaneIdentity("cluster.local");

    [Fact]
    public async Task A_workload_identity_is_refused_a_tap_and_sees_no_request()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server") });
        await using var tap = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.Issue("client"), TapWire.Alpn);

        await DelimitedMessages.WriteAsync(tap.Stream, new TapRequest(), CancellationToken.None);
        var first = DelimitedMessages.ReadAsync(tap.Stream, TapEvent.Parser, 64 * 1024, CancellationToken.None).AsTask();
        await RequestAsync(sidecar, ca, app);

        Assert.Null(await Eventually.ResultAsync(first, "the refused tap is closed"));
        await Eventually.TrueAsync(() => sidecar.Logs.Lines.Any(l => l.Contains("only the control plane", StringComparison.Ordinal)), "the refusal is logged");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Requests_through_the_sidecar_reach_the_control_planes_tap_with_their_fields(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server"), Http1FastPath = fastPath });
        await using var tap = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.IssueFor(ControlPlane), TapWire.Alpn);

        await DelimitedMessages.WriteAsync(tap.Stream, new TapRequest { PathPrefix = "/items" }, CancellationToken.None);
        var first = DelimitedMessages.ReadAsync(tap.Stream, TapEvent.Parser, 64 * 1024, CancellationToken.None).AsTask();
        // The tap opens once the sidecar has read the request: send until an event comes (filtered-out ones never do).
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!first.IsCompleted)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "no request appeared in the tap within 10 s");
            await RequestAsync(sidecar, ca, app, "/other");
            await RequestAsync(sidecar, ca, app, "/items/7?secret=1");
        }

        var e = (await first)!;
        Assert.Equal(("inbound", "GET", "app", "/items/7", 200), (e.Direction, e.Method, e.Authority, e.Path, e.Status));
        Assert.Equal((OutboundMeshCa.SpiffeId("client"), OutboundMeshCa.SpiffeId("server")), (e.SrcIdentity, e.DstIdentity));
        Assert.Equal("default/app", e.Pod);
        Assert.True(e.LatencyMicros > 0);
    }

    [Fact]
    public async Task A_tap_beyond_the_sidecars_most_is_told_the_limit_was_reached()
    {
        using var ca = new OutboundMeshCa();
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server") });
        var taps = new List<RawConnection>();
        try
        {
            for (var i = 0; i <= Weft.Proxy.Tap.TapHub.MaxTaps; i++)
            {
                var tap = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.IssueFor(ControlPlane), TapWire.Alpn);
                taps.Add(tap);
                await DelimitedMessages.WriteAsync(tap.Stream, new TapRequest(), CancellationToken.None);
            }

            // No request goes through the sidecar: the only message any of them can get is the refusal, and exactly one does.
            var reads = taps.Select(t => DelimitedMessages.ReadAsync(t.Stream, TapEvent.Parser, 64 * 1024, CancellationToken.None).AsTask()).ToArray();
            var refused = await Eventually.ResultAsync(Task.WhenAny(reads), "one tap is refused");

            Assert.StartsWith(TapWire.LimitReached + ": pod default/app already runs 4 taps", (await refused)!.Notice, StringComparison.Ordinal);
            Assert.Equal(1, reads.Count(r => r.IsCompleted));
        }
        finally
        {
            foreach (var tap in taps)
            {
                await tap.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_stat_query_from_the_control_plane_is_answered_with_the_window_of_the_requests_served()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server") });
        for (var i = 0; i < 3; i++)
        {
            await RequestAsync(sidecar, ca, app);
        }

        await using var query = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.IssueFor(ControlPlane), TapWire.Alpn);
        await DelimitedMessages.WriteAsync(query.Stream, new TapRequest { StatWindowSeconds = 30 }, CancellationToken.None);
        var answer = await Eventually.ResultAsync(DelimitedMessages.ReadAsync(query.Stream, TapEvent.Parser, 1024 * 1024, CancellationToken.None).AsTask(), "the stat answer");

        Assert.Equal("default/app", answer!.Pod);
        Assert.Equal(30, answer.Stat.WindowSeconds);
        Assert.True(answer.Stat.Seconds > 0);
        var series = Assert.Single(answer.Stat.Series);
        Assert.Equal(("inbound", OutboundMeshCa.SpiffeId("client")), (series.Labels["direction"], series.Labels["src_identity"]));
        Assert.Equal((3UL, 3UL, 3UL), (series.Requests, series.Successes, series.StatusClasses["2xx"]));
        Assert.Equal(3UL, series.Buckets.Aggregate(0UL, (a, b) => a + b));
        Assert.Equal(answer.Stat.Bounds.Count + 1, series.Buckets.Count);
        Assert.Null(await Eventually.ResultAsync(DelimitedMessages.ReadAsync(query.Stream, TapEvent.Parser, 1024 * 1024, CancellationToken.None).AsTask(), "the query closed"));
    }

    [Fact]
    public async Task A_stat_query_from_a_workload_identity_is_refused()
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Identity = ca.Issue("server") });
        await RequestAsync(sidecar, ca, app);
        await using var query = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.Issue("client"), TapWire.Alpn);

        await DelimitedMessages.WriteAsync(query.Stream, new TapRequest { StatWindowSeconds = 60 }, CancellationToken.None);

        Assert.Null(await Eventually.ResultAsync(DelimitedMessages.ReadAsync(query.Stream, TapEvent.Parser, 1024 * 1024, CancellationToken.None).AsTask(), "the refused query is closed"));
    }

    private static async Task RequestAsync(Sidecar sidecar, OutboundMeshCa ca, ScriptedApp app, string target = "/")
    {
        await using var connection = await RawConnection.OpenMtlsAsync(sidecar.Inbound, ca.Issue("client"));
        await connection.SendAsync(Sidecar.Get(app.Port, target));
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
    }
}
