namespace Weft.Proxy.Tracing;

/// <summary>The OTLP span kinds a sidecar records (opentelemetry.proto.trace.v1.Span.SpanKind).</summary>
internal enum SpanKind
{
    Server = 2,
    Client = 3,
}

/// <summary>
/// One hop's span, made only for a sampled request: the client sidecar's CLIENT span, or the server sidecar's SERVER
/// span. Its attributes follow the OpenTelemetry HTTP semantic conventions (http.request.method, url.path, url.scheme,
/// server.address, server.port, network.protocol.version, http.response.status_code, error.type) plus Weft's own
/// (weft.route, weft.rule, weft.backend, weft.destination.service, weft.source.identity, weft.destination.identity).
/// Filled on the request's path, then handed whole to the exporter by <see cref="End"/>.
/// </summary>
internal sealed class TraceSpan(HttpTracer tracer, TraceParent context, ulong parentSpanId, long startUnixNano, long startTimestamp)
{
    /// <summary>This span's context: what goes on in <c>traceparent</c> (the trace id, this span's id, sampled).</summary>
    public TraceParent Context { get; } = context;

    /// <summary>The span this one continues (0: a trace this sidecar started).</summary>
    public ulong ParentSpanId { get; } = parentSpanId;

    public SpanKind Kind => tracer.Kind;

    public long StartUnixNano { get; } = startUnixNano;

    public long EndUnixNano { get; private set; }

    public string Method { get; set; } = "";

    public string Path { get; set; } = "";

    public string? ServerAddress { get; set; }

    public int ServerPort { get; set; }

    /// <summary>"1.1" or "2".</summary>
    public string ProtocolVersion { get; set; } = "1.1";

    public int StatusCode { get; private set; }

    public string? Route { get; set; }

    public string? Rule { get; set; }

    public string? Backend { get; set; }

    public string? DestinationService { get; set; }

    public string? SourceIdentity { get; set; }

    public string? DestinationIdentity { get; set; }

    /// <summary>
    /// The HTTP semantic conventions' error status: no response at all (status 0) or a 5xx for both kinds, and a 4xx
    /// for a CLIENT span too (a SERVER span leaves a 4xx unset: the caller's error, not the server's).
    /// </summary>
    public bool IsError => StatusCode is 0 or >= 500 || (StatusCode >= 400 && Kind == SpanKind.Client);

    /// <summary>error.type, set only on an error: the status code as text, "_OTHER" when no response came.</summary>
    public string? ErrorType => !IsError ? null : StatusCode == 0 ? "_OTHER" : StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The span's name: the method, as the conventions name an HTTP span without a route template.</summary>
    public string Name => Method;

    private int _ended;

    /// <summary>Ends the span with the response's status (0: none) and queues it for export; only the first call counts.</summary>
    public void End(int status)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        StatusCode = status;
        EndUnixNano = StartUnixNano + (long)(tracer.Time.GetElapsedTime(startTimestamp).Ticks * 100);
        tracer.Exporter.Add(this);
    }
}
