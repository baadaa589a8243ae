namespace Weft.Proxy.Tracing;

/// <summary>
/// Writes an OTLP <c>ExportTraceServiceRequest</c> (opentelemetry-proto, opentelemetry/proto/collector/trace/v1) for a
/// batch of spans: one ResourceSpans (the sidecar's resource), one ScopeSpans (<see cref="ScopeName"/>), the spans.
/// Field numbers are the proto's; only the fields Weft fills are written.
/// </summary>
internal static class OtlpTraceEncoder
{
    public const string ScopeName = "weft-proxy";

    public static void Encode(ProtoWriter w, IReadOnlyList<KeyValuePair<string, string>> resource, IReadOnlyList<TraceSpan> spans)
    {
        var resourceSpans = w.BeginMessage(1); // ExportTraceServiceRequest.resource_spans
        var resourceMark = w.BeginMessage(1); // ResourceSpans.resource
        foreach (var (key, value) in resource)
        {
            Attribute(w, key, value); // Resource.attributes = 1
        }

        w.EndMessage(resourceMark);
        var scopeSpans = w.BeginMessage(2); // ResourceSpans.scope_spans
        var scope = w.BeginMessage(1); // ScopeSpans.scope
        w.String(1, ScopeName); // InstrumentationScope.name
        w.EndMessage(scope);
        foreach (var span in spans)
        {
            Span(w, span); // ScopeSpans.spans = 2
        }

        w.EndMessage(scopeSpans);
        w.EndMessage(resourceSpans);
    }

    private static void Span(ProtoWriter w, TraceSpan span)
    {
        var mark = w.BeginMessage(2);
        Span<byte> id = stackalloc byte[16];
        var context = span.Context;
        TraceParent.WriteTraceId(id, context.TraceIdHigh, context.TraceIdLow);
        w.Bytes(1, id); // trace_id
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id, context.SpanId);
        w.Bytes(2, id[..8]); // span_id
        if (span.ParentSpanId != 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id, span.ParentSpanId);
            w.Bytes(4, id[..8]); // parent_span_id
        }

        w.String(5, span.Name);
        w.Varint(6, (ulong)span.Kind);
        w.Fixed64(7, (ulong)span.StartUnixNano);
        w.Fixed64(8, (ulong)span.EndUnixNano);
        Attribute(w, "http.request.method", span.Method, field: 9);
        Attribute(w, "url.path", span.Path, field: 9);
        Attribute(w, "url.scheme", "http", field: 9);
        if (span.ServerAddress is { Length: > 0 } address)
        {
            Attribute(w, "server.address", address, field: 9);
        }

        if (span.ServerPort > 0)
        {
            Attribute(w, "server.port", span.ServerPort, field: 9);
        }

        Attribute(w, "network.protocol.version", span.ProtocolVersion, field: 9);
        if (span.StatusCode > 0)
        {
            Attribute(w, "http.response.status_code", span.StatusCode, field: 9);
        }

        Optional(w, "error.type", span.ErrorType);
        Optional(w, "weft.route", span.Route);
        Optional(w, "weft.rule", span.Rule);
        Optional(w, "weft.backend", span.Backend);
        Optional(w, "weft.destination.service", span.DestinationService);
        Optional(w, "weft.source.identity", span.SourceIdentity);
        Optional(w, "weft.destination.identity", span.DestinationIdentity);
        if (span.IsError)
        {
            var status = w.BeginMessage(15); // Span.status
            w.Varint(3, 2); // Status.code = STATUS_CODE_ERROR
            w.EndMessage(status);
        }

        w.Fixed32(16, TraceParent.SampledFlag); // Span.flags: the W3C trace flags
        w.EndMessage(mark);
    }

    private static void Optional(ProtoWriter w, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Attribute(w, key, value, field: 9);
        }
    }

    /// <summary>A KeyValue with a string AnyValue.</summary>
    private static void Attribute(ProtoWriter w, string key, string value, int field = 1)
    {
        var mark = w.BeginMessage(field);
        w.String(1, key);
        var any = w.BeginMessage(2);
        w.String(1, value); // AnyValue.string_value
        w.EndMessage(any);
        w.EndMessage(mark);
    }

    /// <summary>A KeyValue with an int AnyValue.</summary>
    private static void Attribute(ProtoWriter w, string key, int value, int field)
    {
        var mark = w.BeginMessage(field);
        w.String(1, key);
        var any = w.BeginMessage(2);
        w.Varint(3, (ulong)value); // AnyValue.int_value
        w.EndMessage(any);
        w.EndMessage(mark);
    }
}
