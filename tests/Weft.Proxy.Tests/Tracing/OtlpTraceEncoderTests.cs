using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Tests.Tracing.Otlp;
using Weft.Proxy.Tracing;
using Weft.Routing.Tracing;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>
/// The hand-written OTLP encoder against the spec's messages: what <see cref="OtlpTraceEncoder"/> writes decodes with code
/// generated from otlp_trace.proto (Google.Protobuf), field for field.
/// </summary>
public sealed class OtlpTraceEncoderTests
{
    [Fact]
    public async Task An_encoded_batch_decodes_as_an_ExportTraceServiceRequest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        await using var exporter = new OtlpExporter(new Uri("http://127.0.0.1:1"), [], time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var tracer = new HttpTracer(Weft.Proxy.Tracing.SpanKind.Client, new TracingSettings(new Uri("http://127.0.0.1:1"), 1), exporter, time);
        var span = new TraceSpan(tracer, new TraceParent(0x0102030405060708, 0x090a0b0c0d0e0f10, 0x1112131415161718, 1), 0x2122232425262728,
            1_700_000_000_000_000_000, time.GetTimestamp())
        {
            Method = "POST",
            Path = "/" + new string('p', 300), // a length that takes two varint bytes
            ServerAddress = "echo",
            ServerPort = 8080,
            Route = "HTTPRoute/default/r",
            Rule = "canary",
            Backend = "default/echo-v2:80",
            DestinationIdentity = "spiffe://cluster.local/ns/default/sa/echo",
        };
        time.Advance(TimeSpan.FromMilliseconds(3));
        span.End(502);
        var writer = new ProtoWriter();

        OtlpTraceEncoder.Encode(writer, [new("service.name", "client"), new("k8s.pod.name", "client-1")], [span, span]);

        var request = ExportTraceServiceRequest.Parser.ParseFrom(writer.Written.ToArray());
        var resourceSpans = Assert.Single(request.ResourceSpans);
        Assert.Equal("client-1", resourceSpans.Resource.Attribute("k8s.pod.name"));
        var scope = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("weft-proxy", scope.Scope.Name);
        Assert.Equal(2, scope.Spans.Count);
        var decoded = scope.Spans[0];
        Assert.Equal("0102030405060708090a0b0c0d0e0f10", decoded.TraceId.Hex());
        Assert.Equal("1112131415161718", decoded.SpanId.Hex());
        Assert.Equal("2122232425262728", decoded.ParentSpanId.Hex());
        Assert.Equal(Span.Types.SpanKind.Client, decoded.Kind);
        Assert.Equal("POST", decoded.Name);
        Assert.Equal(1_700_000_000_000_000_000UL, decoded.StartTimeUnixNano);
        Assert.Equal(1_700_000_000_003_000_000UL, decoded.EndTimeUnixNano);
        Assert.Equal(span.Path, decoded.Attribute("url.path"));
        Assert.Equal("8080", decoded.Attribute("server.port"));
        Assert.Equal("502", decoded.Attribute("http.response.status_code"));
        Assert.Equal("502", decoded.Attribute("error.type"));
        Assert.Equal("canary", decoded.Attribute("weft.rule"));
        Assert.Equal("spiffe://cluster.local/ns/default/sa/echo", decoded.Attribute("weft.destination.identity"));
        Assert.Equal(Status.Types.StatusCode.Error, decoded.Status.Code);
        Assert.Equal(1u, decoded.Flags);
        Assert.Equal(decoded, scope.Spans[1]);
    }

    [Theory]
    [InlineData(200, "client", false)]
    [InlineData(404, "client", true)] // a CLIENT span's 4xx is an error (HTTP semantic conventions)
    [InlineData(404, "server", false)] // a SERVER span's is the caller's
    [InlineData(500, "server", true)]
    [InlineData(500, "client", true)]
    [InlineData(0, "server", true)] // no response at all
    public async Task Span_status_follows_the_HTTP_semantic_conventions(int status, string spanKind, bool error)
    {
        var kind = spanKind == "client" ? Weft.Proxy.Tracing.SpanKind.Client : Weft.Proxy.Tracing.SpanKind.Server;
        var time = new FakeTimeProvider();
        await using var exporter = new OtlpExporter(new Uri("http://127.0.0.1:1"), [], time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var span = new TraceSpan(new HttpTracer(kind, TracingSettings.Off, exporter, time), new TraceParent(1, 1, 1, 1), 0, 0, 0);

        span.End(status);

        Assert.Equal(error, span.IsError);
        Assert.Equal(error ? (status == 0 ? "_OTHER" : status.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null, span.ErrorType);
    }
}
