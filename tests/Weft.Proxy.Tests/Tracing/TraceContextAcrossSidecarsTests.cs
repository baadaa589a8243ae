using System.Net;
using System.Net.Sockets;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Proxy.Tests.Tracing.Otlp;
using Weft.Routing.Policy;
using Weft.Routing.Tracing;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>
/// W3C Trace Context and OTLP export through two real sidecars (client → mTLS → server → echo app) on loopback, on the
/// HTTP/1.1 fast path and on the Kestrel + YARP path, with a real OTLP/HTTP receiver (<see cref="OtlpCollector"/>):
/// the client sidecar's CLIENT span, the server sidecar's SERVER span as its child, the app handed the server span's id.
/// </summary>
public sealed class TraceContextAcrossSidecarsTests
{
    private const string IncomingTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string IncomingParent = "00f067aa0ba902b7";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_traced_request_gives_a_CLIENT_span_and_a_SERVER_child_and_the_app_sees_the_server_span(bool fastPath)
    {
        await using var mesh = await TracedMesh.StartAsync(fastPath, samplingRate: 1);

        var response = await mesh.GetAsync("/items/1?color=red");

        Assert.Equal(200, response.Status);
        var (client, server) = await mesh.TwoSpansAsync();
        Assert.Equal(Span.Types.SpanKind.Client, client.Kind);
        Assert.Equal(Span.Types.SpanKind.Server, server.Kind);
        Assert.Equal(16, client.TraceId.Length);
        Assert.Equal(client.TraceId, server.TraceId);
        Assert.True(client.ParentSpanId.IsEmpty); // the client sidecar started the trace
        Assert.Equal(client.SpanId, server.ParentSpanId);
        Assert.NotEqual(client.SpanId, server.SpanId);
        var seen = Assert.Single(mesh.App.Received).Headers["traceparent"];
        Assert.Equal($"00-{server.TraceId.Hex()}-{server.SpanId.Hex()}-01", seen);
        // The client span starts before the request leaves; the ends are not ordered: the server sidecar's handler may
        // finish just after the client sidecar has read the last byte it sent.
        Assert.True(client.StartTimeUnixNano <= server.StartTimeUnixNano, "the CLIENT span starts first");
        Assert.True(client.StartTimeUnixNano < client.EndTimeUnixNano && server.StartTimeUnixNano < server.EndTimeUnixNano, "spans end after they start");

        foreach (var span in new[] { client, server })
        {
            Assert.Equal("GET", span.Name);
            Assert.Equal("GET", span.Attribute("http.request.method"));
            Assert.Equal("/items/1", span.Attribute("url.path"));
            Assert.Equal("http", span.Attribute("url.scheme"));
            Assert.Equal("200", span.Attribute("http.response.status_code"));
            Assert.Equal("1.1", span.Attribute("network.protocol.version"));
            Assert.Null(span.Attribute("error.type"));
            Assert.Equal(Status.Types.StatusCode.Unset, span.Status?.Code ?? Status.Types.StatusCode.Unset);
        }

        Assert.Equal("echo", client.Attribute("server.address"));
        Assert.Equal("8080", client.Attribute("server.port"));
        Assert.Equal("HTTPRoute/default/test", client.Attribute("weft.route"));
        Assert.Equal("0", client.Attribute("weft.rule"));
        Assert.Equal("default/echo:80", client.Attribute("weft.backend"));
        Assert.Equal("default/echo:8080", client.Attribute("weft.destination.service"));
        Assert.Equal(mesh.App.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), server.Attribute("server.port"));
        Assert.Equal(OutboundMeshCa.SpiffeId("client"), server.Attribute("weft.source.identity"));
        var resources = mesh.Collector.Spans.Select(s => s.Resource.Attribute("k8s.pod.name") ?? "").Order().ToArray();
        Assert.Equal(["client", "server"], resources);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_incoming_sampled_traceparent_is_continued_and_its_tracestate_passed_on(bool fastPath)
    {
        await using var mesh = await TracedMesh.StartAsync(fastPath, samplingRate: 0);

        await mesh.GetAsync("/", $"traceparent: 00-{IncomingTrace}-{IncomingParent}-01\r\ntracestate: vendor=opaque\r\n");

        var (client, server) = await mesh.TwoSpansAsync();
        Assert.Equal(IncomingTrace, client.TraceId.Hex());
        Assert.Equal(IncomingParent, client.ParentSpanId.Hex());
        Assert.Equal(client.SpanId, server.ParentSpanId);
        var app = Assert.Single(mesh.App.Received);
        Assert.Equal($"00-{IncomingTrace}-{server.SpanId.Hex()}-01", app.Headers["traceparent"]);
        Assert.Equal("vendor=opaque", app.Headers["tracestate"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sampling_zero_adds_no_header_and_records_no_span_and_an_unsampled_traceparent_passes_untouched(bool fastPath)
    {
        await using var mesh = await TracedMesh.StartAsync(fastPath, samplingRate: 0);
        var unsampled = $"00-{IncomingTrace}-{IncomingParent}-00";

        await mesh.GetAsync("/none");
        await mesh.GetAsync("/unsampled", $"traceparent: {unsampled}\r\n");
        // A span is made before its request reaches the app, so once the answers are in, no span of theirs can come later.
        Assert.Equal((0L, 0L), (mesh.Client.Proxy.TraceExporter!.Admitted, mesh.Server.Proxy.TraceExporter!.Admitted));
        await mesh.GetAsync("/sampled", $"traceparent: 00-{IncomingTrace}-{IncomingParent}-01\r\n");

        await mesh.TwoSpansAsync();
        await Eventually.TrueAsync(() => (mesh.Client.Proxy.TraceExporter.Exported, mesh.Server.Proxy.TraceExporter.Exported) == (1, 1), "each sidecar's one span exported");
        Assert.Equal((1L, 1L), (mesh.Client.Proxy.TraceExporter.Admitted, mesh.Server.Proxy.TraceExporter.Admitted));
        Assert.All(mesh.Collector.Spans, s => Assert.Equal("/sampled", s.Span.Attribute("url.path")));
        var received = mesh.App.Received.ToArray();
        Assert.False(received[0].Headers.ContainsKey("traceparent"));
        Assert.Equal(unsampled, received[1].Headers["traceparent"]);
    }

    [Theory]
    [InlineData(true, "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")] // upper-case hex
    [InlineData(true, "00-00000000000000000000000000000000-00f067aa0ba902b7-01")] // all-zero trace id
    [InlineData(false, "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")] // all-zero parent id
    [InlineData(false, "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // version ff
    public async Task A_malformed_traceparent_is_ignored_and_a_new_trace_started_without_the_tracestate(bool fastPath, string malformed)
    {
        await using var mesh = await TracedMesh.StartAsync(fastPath, samplingRate: 1);

        await mesh.GetAsync("/", $"traceparent: {malformed}\r\ntracestate: vendor=stale\r\n");

        var (client, server) = await mesh.TwoSpansAsync();
        Assert.True(client.ParentSpanId.IsEmpty);
        Assert.NotEqual(IncomingTrace, client.TraceId.Hex());
        var app = Assert.Single(mesh.App.Received);
        Assert.Equal($"00-{client.TraceId.Hex()}-{server.SpanId.Hex()}-01", app.Headers["traceparent"]);
        Assert.False(app.Headers.ContainsKey("tracestate"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_collector_that_never_answers_neither_fails_nor_slows_requests(bool fastPath)
    {
        // Accepts connections and never answers: an export on the request path would hold each request for its timeout (5 s).
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(512);
        var collector = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        await using var mesh = await TracedMesh.StartAsync(fastPath, samplingRate: 1, collector);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(200, (await mesh.GetAsync($"/{i}")).Status);
        }

        Assert.Equal(20, mesh.App.Count);
        // Tracing was on and the exporter did try the silent collector: it connected (its post then waits for its
        // timeout, off the requests' path).
        Assert.Equal(40, mesh.Client.Proxy.TraceExporter!.Admitted + mesh.Server.Proxy.TraceExporter!.Admitted);
        using var accepted = await Eventually.ResultAsync(silent.AcceptSocketAsync(), "the exporter's connection to the silent collector");
    }

    [Fact]
    public async Task A_5xx_from_the_app_marks_both_spans_as_errors()
    {
        await using var mesh = await TracedMesh.StartAsync(fastPath: true, samplingRate: 1);
        mesh.App.Handler = (context, _) =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        };

        Assert.Equal(503, (await mesh.GetAsync("/")).Status);

        var (client, server) = await mesh.TwoSpansAsync();
        foreach (var span in new[] { client, server })
        {
            Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
            Assert.Equal("503", span.Attribute("error.type"));
            Assert.Equal("503", span.Attribute("http.response.status_code"));
        }
    }

    /// <summary>The two sidecars, their collector and the echo app; the client sidecar's Service <c>echo:8080</c> routes to the app.</summary>
    private sealed class TracedMesh : IAsyncDisposable
    {
        private readonly OutboundMeshCa _ca;
        private readonly Sidecar _server;
        private readonly Sidecar _client;

        private TracedMesh(OutboundMeshCa ca, OtlpCollector collector, TestBackend app, Sidecar server, Sidecar client)
        {
            (_ca, Collector, App, _server, _client) = (ca, collector, app, server, client);
        }

        public OtlpCollector Collector { get; }

        public Sidecar Client => _client;

        public Sidecar Server => _server;

        public TestBackend App { get; }

        public static async Task<TracedMesh> StartAsync(bool fastPath, double samplingRate, Uri? collectorEndpoint = null)
        {
            var ca = new OutboundMeshCa();
            var collector = await OtlpCollector.StartAsync();
            var app = await TestBackend.StartAsync("echo");
            var tracing = new TracingSettings(collectorEndpoint ?? collector.Endpoint, samplingRate);
            var server = await Sidecar.StartAsync(o => o with
            {
                PodName = "server",
                Identity = ca.Issue("server"),
                Http1FastPath = fastPath,
                Tracing = tracing,
                TraceExportInterval = TimeSpan.FromMilliseconds(20),
            });
            var backend = Policies.Backend(app);
            backend = backend with { Endpoints = [backend.Endpoints[0] with { Identity = OutboundMeshCa.SpiffeId("server") }] };
            var client = await Sidecar.StartAsync(o => o with
            {
                PodName = "client",
                Identity = ca.Issue("client"),
                Http1FastPath = fastPath,
                PeerInboundPort = server.Inbound.Port,
                Destinations = new StaticDestinationSource([KeyValuePair.Create("echo:8080", Policies.Service("echo", 8080, [Policies.Rule(null, null, backend)]))]),
                Tracing = tracing,
                TraceExportInterval = TimeSpan.FromMilliseconds(20),
            });
            return new TracedMesh(ca, collector, app, server, client);
        }

        /// <summary>One absolute-form GET to <c>echo:8080</c> through the client sidecar, on a connection of its own.</summary>
        public async Task<RawResponse> GetAsync(string path, string extra = "")
        {
            await using var connection = await RawConnection.OpenAsync(_client.Outbound);
            await connection.SendAsync(OutboundProxy.Get($"http://echo:8080{path}", extra));
            return await connection.ReadResponseAsync();
        }

        /// <summary>Waits for the collector to hold a CLIENT and a SERVER span, and returns them.</summary>
        public async Task<(Span Client, Span Server)> TwoSpansAsync()
        {
            await Eventually.TrueAsync(
                () => Collector.Spans.Any(s => s.Span.Kind == Span.Types.SpanKind.Client) && Collector.Spans.Any(s => s.Span.Kind == Span.Types.SpanKind.Server),
                "a CLIENT and a SERVER span at the collector");
            Assert.Equal(0, Collector.Rejected);
            return (Collector.Spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Client).Span,
                Collector.Spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Server).Span);
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            await _server.DisposeAsync();
            await App.DisposeAsync();
            await Collector.DisposeAsync();
            _ca.Dispose();
        }
    }
}
