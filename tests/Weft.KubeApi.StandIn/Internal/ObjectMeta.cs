using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>Reads and writes <c>metadata</c> fields of an object kept as JSON.</summary>
internal static class ObjectMeta
{
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? String(JsonObject obj, string field) =>
        obj["metadata"] is JsonObject m && m[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? Name(JsonObject obj) => String(obj, "name");

    public static string? Namespace(JsonObject obj) => String(obj, "namespace");

    public static string? Uid(JsonObject obj) => String(obj, "uid");

    public static string? ResourceVersion(JsonObject obj) => String(obj, "resourceVersion");

    public static long Generation(JsonObject obj) =>
        obj["metadata"] is JsonObject m && m["generation"] is JsonValue v && long.TryParse(v.ToJsonString(), out var g) ? g : 0;

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"] is JsonObject m && m["labels"] is JsonObject l)
        {
            foreach (var (key, value) in l)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    labels[key] = s;
                }
            }
        }

        return labels;
    }

    /// <summary>The value at a dotted field path (<c>spec.nodeName</c>) when it is a string, number or boolean.</summary>
    public static string? Field(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node is JsonValue value ? value.ToString() : null;
    }
}
