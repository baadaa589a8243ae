using System.Net;
using Microsoft.AspNetCore.Http;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// A request that got no answer is status class <c>other</c>, a failure (docs/observability.md): counted once, tapped
/// and traced with status 0, when its client went away before a response head was sent, on the fast path and the full
/// path alike, by the client's sidecar and by the server's, whose own client (the caller's sidecar) went away too.
/// A client sidecar and a server sidecar on loopback, mTLS between them, the app holding its answer back.
/// </summary>
public sealed class NoAnswerTests
{
    private static readonly string ClientId = OutboundMeshCa.SpiffeId("client");
    private static readonly string ServerId = OutboundMeshCa.SpiffeId("server");
    private static readonly string ControlPlane = TapWire.ControlPlaneIdentity("cluster.local");

    [Theory]
    [InlineData(false)] // a plain forward: the fast path
    [InlineData(true)] // a rule with a filter: the full path
    public async Task A_request_whose_client_goes_before_an_answer_is_counted_once_as_other(bool filtered)
    {
        using var ca = new OutboundMeshCa();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = ScriptedApp.Start(_ => ScriptedReply.InParts(false, "", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate") with { HoldLastPart = answer.Task });
        await using var quick = ScriptedApp.Start(_ => ScriptedReply.Ok("quick"));
        try
        {
            await using var server = await ServerAsync(ca, fastPath: true);
            var filters = filtered ? new[] { RequestHeaders(new HeaderModifierPolicy { Set = [Header("x-filtered", "1")] }) } : [];
            await using var client = await ClientAsync(ca, server, fastPath: true,
                ("cart:8080", Service("cart", 8080, [Rule(filters: filters, backends: OnServer("cart", slow))])),
                ("quick:8080", Service("quick", 8080, defaultBackend: OnServer("quick", quick))));
            await using var tap = await RawConnection.OpenMtlsAsync(client.Inbound, ca.IssueFor(ControlPlane), TapWire.Alpn);
            await DelimitedMessages.WriteAsync(tap.Stream, new TapRequest(), CancellationToken.None);
            await TapOpenAsync(tap, client);

            await using (var connection = await RawConnection.OpenAsync(client.Outbound))
            {
                await connection.SendAsync(OutboundProxy.Get("http://cart:8080/slow"));
                await Eventually.TrueAsync(() => slow.HeadsRead == 1, "the request reached the app");
            } // the client gives up: its connection closes with no answer

            var outbound = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"cart\",dst_port=\"8080\",route_kind=\"HTTPRoute\","
                + "route_namespace=\"default\",route_name=\"test\",rule=\"0\",backend=\"default/cart:80\",src_namespace=\"default\",src_workload=\"shop\","
                + $"src_identity=\"{ClientId}\",dst_workload=\"cart\",dst_identity=\"{ServerId}\"";
            var metrics = await Eventually.ValueAsync(client.MetricsAsync, m => m.Contains($"weft_requests_total{{{outbound},status_class=\"other\"}} 1\n", StringComparison.Ordinal),
                "the client sidecar counts the request as other");
            Assert.Contains($"weft_request_duration_seconds_count{{{outbound}}} 1\n", metrics, StringComparison.Ordinal); // once, in no other class
            await Eventually.ValueAsync(() => client.OutboundStatAsync("other"), n => n == 1, "the client sidecar's /stats counts it as other"); // recorded as the request ends, after its series

            var e = await NextEventAsync(tap, "/slow");
            Assert.Equal(("outbound", "cart:8080", 0), (e.Direction, e.Authority, e.Status));

            // The client sidecar dropped its request to the server sidecar with its client: no answer there either.
            await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains(InboundOther(slow), StringComparison.Ordinal),
                "the server sidecar counts the request as other");
        }
        finally
        {
            answer.TrySetResult();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_the_callers_sidecar_cuts_off_at_its_timeout_is_counted_as_other_by_the_server_sidecar(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = ScriptedApp.Start(_ => ScriptedReply.InParts(false, "", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate") with { HoldLastPart = answer.Task });
        try
        {
            await using var server = await ServerAsync(ca, fastPath);
            var rule = Rule(backends: OnServer("cart", slow)) with { Timeouts = new TimeoutPolicy { Request = TimeSpan.FromMilliseconds(300) } };
            await using var client = await ClientAsync(ca, server, fastPath, ("cart:8080", Service("cart", 8080, [rule])));

            await using (var connection = await RawConnection.OpenAsync(client.Outbound))
            {
                await connection.SendAsync(OutboundProxy.Get("http://cart:8080/slow"));
                Assert.Equal(504, (await connection.ReadResponseAsync()).Status); // GEP-1742: the route's timeout, from the caller's sidecar
            }

            var metrics = await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains(InboundOther(slow), StringComparison.Ordinal),
                "the server sidecar counts the request it could not answer as other");
            Assert.Contains($"weft_request_duration_seconds_count{{{InboundLabels(slow)}}} 1\n", metrics, StringComparison.Ordinal);
            await Eventually.ValueAsync(() => server.InboundStatAsync("other"), n => n == 1, "the server sidecar's /stats counts it as other");
        }
        finally
        {
            answer.TrySetResult();
        }
    }

    [Fact]
    public async Task An_HTTP2_request_its_client_cancels_before_an_answer_is_counted_once_as_other()
    {
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("cart", h2c: true);
        backend.Handler = async (context, _) =>
        {
            try
            {
                await answer.Task;
                await context.Response.WriteAsync("late");
            }
            finally
            {
                answered.TrySetResult(true);
            }
        };
        try
        {
            var backendPolicy = Backend(backend) with { AppProtocol = BackendAppProtocol.Http2 };
            await using var mesh = await TestMesh.StartAsync(("cart:8080", Service("cart", 8080, [Rule(backends: backendPolicy)])));
            var client = mesh.TunnelClient("cart:8080");

            // HTTP/2 cancels a stream, not the connection: the client sends RST_STREAM and its connection stays open.
            using var cancel = new CancellationTokenSource();
            var call = client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://cart:8080/slow") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
                cancel.Token);
            await Eventually.TrueAsync(() => backend.Count == 1, "the request reached the app");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

            const string Labels = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"cart\",dst_port=\"8080\",route_kind=\"HTTPRoute\","
                + "route_namespace=\"default\",route_name=\"test\",rule=\"0\",backend=\"default/cart:80\","
                + "src_namespace=\"default\",src_workload=\"client\",src_identity=\"\",dst_workload=\"\",dst_identity=\"\"";
            using var admin = new HttpClient();
            await Eventually.ValueAsync(() => admin.GetStringAsync($"http://{mesh.Proxy.AdminEndpoint}/metrics"),
                m => m.Contains($"weft_requests_total{{{Labels},status_class=\"other\"}} 1\n", StringComparison.Ordinal),
                "the sidecar counts the cancelled HTTP/2 request as other");

            // The app's late answer, once written, is counted nowhere: the request was recorded once, as it ended.
            answer.TrySetResult();
            await Eventually.ResultAsync(answered.Task, "the app wrote its late answer");
            var metrics = await admin.GetStringAsync($"http://{mesh.Proxy.AdminEndpoint}/metrics");
            Assert.Contains($"weft_request_duration_seconds_count{{{Labels}}} 1\n", metrics, StringComparison.Ordinal); // once, in no other class
            Assert.DoesNotContain("status_class=\"2xx\"", metrics, StringComparison.Ordinal);
        }
        finally
        {
            answer.TrySetResult();
        }
    }

    private static string InboundLabels(ScriptedApp app) =>
        $"direction=\"inbound\",dst_namespace=\"default\",dst_service=\"\",dst_port=\"{app.PortText}\",route_kind=\"\",route_namespace=\"\","
        + "route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"default\",src_workload=\"shop\","
        + $"src_identity=\"{ClientId}\",dst_workload=\"cart\",dst_identity=\"{ServerId}\"";

    private static string InboundOther(ScriptedApp app) => $"weft_requests_total{{{InboundLabels(app)},status_class=\"other\"}} 1\n";

    private static BackendPolicy OnServer(string name, ScriptedApp app)
    {
        var backend = OutboundPolicies.Backend(name, app);
        return backend with { Endpoints = [backend.Endpoints[0] with { Identity = ServerId, Workload = "cart" }] };
    }

    private static Task<Sidecar> ServerAsync(OutboundMeshCa ca, bool fastPath) => Sidecar.StartAsync(options => options with
    {
        PodName = "cart-5d8f-x2x9z",
        Workload = "cart",
        Identity = ca.Issue("server"),
        Http1FastPath = fastPath,
    });

    private static Task<Sidecar> ClientAsync(OutboundMeshCa ca, Sidecar server, bool fastPath, params (string HostPort, DestinationPolicy Policy)[] destinations) =>
        Sidecar.StartAsync(options => options with
        {
            PodName = "shop-7c9b-k4k2p",
            Workload = "shop",
            Identity = ca.Issue("client"),
            Http1FastPath = fastPath,
            PeerInboundPort = server.Inbound.Port,
            Destinations = new Weft.Proxy.Discovery.StaticDestinationSource(destinations.Select(d => KeyValuePair.Create(d.HostPort, d.Policy))),
        });

    /// <summary>The tap opens once the sidecar has read its request: quick requests go until one shows in it.</summary>
    private static async Task TapOpenAsync(RawConnection tap, Sidecar client)
    {
        var first = DelimitedMessages.ReadAsync(tap.Stream, TapEvent.Parser, 64 * 1024, CancellationToken.None).AsTask();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!first.IsCompleted)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "no request appeared in the tap within 10 s");
            await using var connection = await RawConnection.OpenAsync(client.Outbound);
            await connection.SendAsync(OutboundProxy.Get("http://quick:8080/quick"));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        Assert.Equal("/quick", (await first)!.Path);
    }

    /// <summary>The tap's next event for <paramref name="path"/>, past the quick requests' events.</summary>
    private static async Task<TapEvent> NextEventAsync(RawConnection tap, string path)
    {
        while (true)
        {
            var e = await Eventually.ResultAsync(DelimitedMessages.ReadAsync(tap.Stream, TapEvent.Parser, 64 * 1024, CancellationToken.None).AsTask(), $"a tap event for {path}");
            Assert.NotNull(e);
            if (e.Path == path)
            {
                return e;
            }
        }
    }
}
