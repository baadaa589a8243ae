using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Proxy.Tests.Tracing.Otlp;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>
/// An OTLP/HTTP trace receiver on loopback, as a collector is to the sidecars: <c>POST /v1/traces</c> with an
/// <c>application/x-protobuf</c> ExportTraceServiceRequest, decoded with code generated from otlp_trace.proto (the spec's
/// messages, not Weft's encoder), answered with an empty ExportTraceServiceResponse. A <see cref="TestBackend"/> with
/// its own answer.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly TestBackend _backend;
    private int _rejected;

    private OtlpCollector(TestBackend backend)
    {
        _backend = backend;
        Endpoint = new Uri($"http://127.0.0.1:{backend.Port}");
        backend.Handler = (context, _) => ReceiveAsync(context);
    }

    public Uri Endpoint { get; }

    /// <summary>Every span received, with the resource it came under, in arrival order.</summary>
    public ConcurrentQueue<(Resource Resource, Span Span)> Spans { get; } = new();

    /// <summary>Requests that were not a decodable export (wrong path, content type or protobuf).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    public static async Task<OtlpCollector> StartAsync() => new(await TestBackend.StartAsync("otlp-collector"));

    private async Task ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Method != "POST" || request.Path != "/v1/traces" || request.ContentType != "application/x-protobuf")
        {
            Interlocked.Increment(ref _rejected);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        ExportTraceServiceRequest export;
        try
        {
            export = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
        }
        catch (InvalidProtocolBufferException)
        {
            Interlocked.Increment(ref _rejected);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        foreach (var resourceSpans in export.ResourceSpans)
        {
            foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
            {
                Spans.Enqueue((resourceSpans.Resource, span));
            }
        }

        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray());
    }

    public ValueTask DisposeAsync() => _backend.DisposeAsync();
}
