using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Tests.Tracing.Otlp;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>
/// An OTLP/HTTP trace receiver on loopback, as a collector is to the sidecars: <c>POST /v1/traces</c> with an
/// <c>application/x-protobuf</c> ExportTraceServiceRequest, decoded with code generated from otlp_trace.proto (the spec's
/// messages, not Weft's encoder), answered with an empty ExportTraceServiceResponse.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpCollector(WebApplication app, int port)
    {
        _app = app;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Endpoint { get; }

    /// <summary>Every span received, with the resource it came under, in arrival order.</summary>
    public ConcurrentQueue<(Resource Resource, Span Span)> Spans { get; } = new();

    /// <summary>Requests that were not a decodable export (wrong path, content type or protobuf).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    private int _rejected;

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            bound = l;
            l.Protocols = HttpProtocols.Http1;
        }));
        var app = builder.Build();
        OtlpCollector? self = null;
        app.Run(async context =>
        {
            var request = context.Request;
            if (request.Method != "POST" || request.Path != "/v1/traces" || request.ContentType != "application/x-protobuf")
            {
                Interlocked.Increment(ref self!._rejected);
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
                Interlocked.Increment(ref self!._rejected);
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            foreach (var resourceSpans in export.ResourceSpans)
            {
                foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
                {
                    self!.Spans.Enqueue((resourceSpans.Resource, span));
                }
            }

            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray());
        });
        await app.StartAsync();
        self = new OtlpCollector(app, bound!.IPEndPoint!.Port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
