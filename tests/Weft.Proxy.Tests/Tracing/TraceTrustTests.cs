using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Proxy.Tracing;
using Weft.Routing.Tracing;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>
/// What a caller cannot make the tracing do: continue its trace into the server sidecar without mTLS, make more than the
/// sidecar's spans a second, fill the queue with long paths; and what a failing send cannot do: stop the export loop.
/// </summary>
public sealed class TraceTrustTests
{
    private const string SampledTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_plaintext_caller_in_permissive_mode_cannot_make_the_server_sidecar_continue_its_trace(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var collector = await OtlpCollector.StartAsync();
        await using var app = await TestBackend.StartAsync("app");
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "server",
            Identity = ca.Issue("server"),
            Mtls = Security.MtlsMode.Permissive,
            Http1FastPath = fastPath,
            Tracing = new TracingSettings(collector.Endpoint, 1),
            TraceExportInterval = TimeSpan.FromMilliseconds(20),
        });
        await using var connection = await RawConnection.OpenAsync(server.Inbound);

        await connection.SendAsync(Sidecar.Get(app.Port, "/", $"traceparent: {SampledTraceParent}\r\n"));

        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        Assert.Equal(0, server.Proxy.TraceExporter!.Admitted); // the span would be made before the request reached the app
        Assert.Equal(SampledTraceParent, Assert.Single(app.Received).Headers["traceparent"]); // passed on untouched
    }

    [Fact]
    public async Task A_sidecar_makes_at_most_its_spans_a_second_and_counts_the_rest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        await using var exporter = new OtlpExporter(new Uri("http://127.0.0.1:1"), [], time, NullLogger.Instance, spansPerSecond: 3);
        var tracer = new HttpTracer(Weft.Proxy.Tracing.SpanKind.Client, new TracingSettings(new Uri("http://127.0.0.1:1"), 1), exporter, time);

        var made = Enumerable.Range(0, 5).Count(_ => tracer.Start(Request(SampledTraceParent), Weft.Proxy.Metrics.InboundLabels.Base(80, null), "echo", 80) is not null);
        time.Advance(TimeSpan.FromSeconds(1));
        var next = tracer.Start(Request(null), Weft.Proxy.Metrics.InboundLabels.Base(80, null), "echo", 80);

        Assert.Equal(3, made);
        Assert.NotNull(next);
        Assert.Equal(2, exporter.Limited);
        Assert.Equal(4, exporter.Admitted);

        static Microsoft.AspNetCore.Http.DefaultHttpContext Request(string? traceParent)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Method = "GET";
            context.Request.Path = "/";
            if (traceParent is not null)
            {
                context.Request.Headers["traceparent"] = traceParent;
            }

            return context;
        }
    }

    [Fact]
    public void A_long_url_path_is_cut_and_marked()
    {
        var path = "/" + new string('p', 8000);

        var cut = HttpTracer.Cut(path);

        Assert.Equal(HttpTracer.MaxPathLength, cut.Length);
        Assert.EndsWith(HttpTracer.CutMark, cut, StringComparison.Ordinal);
        Assert.StartsWith("/ppp", cut, StringComparison.Ordinal);
        Assert.Equal("/short", HttpTracer.Cut("/short"));
    }

    [Fact]
    public void The_encode_buffer_goes_back_to_its_first_size_after_a_post()
    {
        var writer = new ProtoWriter();
        writer.Bytes(1, new byte[100_000]);
        Assert.True(writer.Capacity > 100_000);

        writer.Release();

        Assert.Equal(0, writer.Length);
        Assert.Equal(ProtoWriter.InitialCapacity, writer.Capacity);
    }

    [Fact]
    public async Task An_encoder_that_throws_once_costs_one_batch_and_the_export_loop_goes_on()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var thrown = 0;
        await using var exporter = new OtlpExporter(collector.Endpoint, [new("service.name", "client")], TimeProvider.System, NullLogger.Instance,
            interval: TimeSpan.FromMilliseconds(10),
            encode: (writer, resource, spans) =>
            {
                if (Interlocked.Exchange(ref thrown, 1) == 0)
                {
                    throw new InvalidOperationException("an encoder bug");
                }

                OtlpTraceEncoder.Encode(writer, resource, spans);
            });
        var tracer = new HttpTracer(Weft.Proxy.Tracing.SpanKind.Client, new TracingSettings(collector.Endpoint, 1), exporter, TimeProvider.System);

        End(tracer, "/first");
        await Eventually.TrueAsync(() => exporter.Failed == 1, "the first batch failed");
        End(tracer, "/second");

        await Eventually.TrueAsync(() => exporter.Exported == 1, "the second batch exported");
        Assert.Equal("/second", Assert.Single(collector.Spans).Span.Attribute("url.path"));
    }

    private static void End(HttpTracer tracer, string path)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = path;
        var span = tracer.Start(context, Weft.Proxy.Metrics.InboundLabels.Base(80, null), "echo", 80);
        Assert.NotNull(span);
        span.End(200);
    }
}
