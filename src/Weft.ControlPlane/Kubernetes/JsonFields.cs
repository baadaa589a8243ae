using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// Typed reads of fields in objects from the API server that never throw: anyone who may write an object (or another
/// controller's status entry in it) may give a field the wrong type, and one such object must not stop the controller.
/// </summary>
public static class JsonFields
{
    /// <summary>The string, or null when the node is missing or not a string.</summary>
    public static string? Text(this JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>The integer, or null when the node is missing or not an integer.</summary>
    public static long? Long(this JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) ? number
        : node is JsonValue element && element.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var parsed) ? parsed
        : null;

    public static int? Int(this JsonNode? node) => node.Long() is { } number && number is >= int.MinValue and <= int.MaxValue ? (int)number : null;
}
