using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// JSON Patch (RFC 6902): add, remove, replace, move, copy and test over JSON Pointers (RFC 6901). A malformed patch is
/// 400; an operation that cannot apply (a failed test, a missing path) is 422, as the real server answers.
/// </summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        var root = new JsonObject { ["doc"] = document.DeepClone() };
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || Text(op, "op") is not { } name || Text(op, "path") is not { } path)
            {
                throw ApiException.BadRequest("invalid JSON Patch operation: " + operation?.ToJsonString());
            }

            switch (name)
            {
                case "add":
                    Add(root, path, Value(op));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(op));
                    break;
                case "move":
                    Add(root, path, Remove(root, From(op)));
                    break;
                case "copy":
                    Add(root, path, Get(root, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), Value(op)))
                    {
                        throw Unprocessable($"testing value {path} failed: test failed");
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"Unexpected kind: {name}");
            }
        }

        return root["doc"] ?? throw Unprocessable("the patch removed the whole document");
    }

    private static string? Text(JsonObject op, string field) =>
        op[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonNode? Value(JsonObject op) =>
        op.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw ApiException.BadRequest("missing value in JSON Patch operation");

    private static string From(JsonObject op) => Text(op, "from") ?? throw ApiException.BadRequest("missing from in JSON Patch operation");

    private static ApiException Unprocessable(string message) => new(422, "Invalid", message);

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            throw ApiException.BadRequest($"JSON pointer must be empty or start with a \"/\": {pointer}");
        }

        // The pseudo-root "doc" lets "" (the whole document) be replaced like any other member.
        return ["doc", .. pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string pointer)
    {
        var tokens = Tokens(pointer);
        JsonNode current = root;
        foreach (var token in tokens.Take(tokens.Count - 1))
        {
            current = Child(current, token) ?? throw Unprocessable($"doc is missing path: \"{pointer}\"");
        }

        return (current, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject o => o[token],
        JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
        _ => null,
    };

    private static JsonNode? Get(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        return parent switch
        {
            JsonObject o when o.ContainsKey(last) => o[last],
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => a[i],
            _ => throw Unprocessable($"doc is missing path: \"{pointer}\""),
        };
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Unprocessable($"doc is missing path: \"{pointer}\"");
        }
    }

    private static JsonNode? Remove(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                var removed = o[last];
                o.Remove(last);
                return removed;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                var item = a[i];
                a.RemoveAt(i);
                return item;
            default:
                throw Unprocessable($"doc is missing path: \"{pointer}\"");
        }
    }
}
