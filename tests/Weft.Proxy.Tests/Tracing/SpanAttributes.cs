using Weft.Proxy.Tests.Tracing.Otlp;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>Reading decoded OTLP spans in assertions.</summary>
public static class SpanAttributes
{
    /// <summary>The attribute's value as text (a string, or an int written in decimal); null when absent.</summary>
    public static string? Attribute(this Span span, string key) => Find(span.Attributes, key);

    public static string? Attribute(this Resource resource, string key) => Find(resource.Attributes, key);

    /// <summary>An id as the W3C header writes it: lower-case hex.</summary>
    public static string Hex(this Google.Protobuf.ByteString id) => Convert.ToHexStringLower(id.Span);

    private static string? Find(IEnumerable<KeyValue> attributes, string key) => attributes.FirstOrDefault(a => a.Key == key)?.Value switch
    {
        null => null,
        { ValueCase: AnyValue.ValueOneofCase.StringValue } v => v.StringValue,
        { ValueCase: AnyValue.ValueOneofCase.IntValue } v => v.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        var v => v.ToString(),
    };
}
