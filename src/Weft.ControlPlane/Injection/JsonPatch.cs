using System.Globalization;
using System.Text.Json.Nodes;
using Weft.ControlPlane.Kubernetes;

namespace Weft.ControlPlane.Injection;

/// <summary>
/// RFC 6902 JSON Patch, the operations the injector writes (<c>add</c>, <c>remove</c>, <c>replace</c>), applied to a copy:
/// how <c>weft inject</c> and the local cluster turn the webhook's answer into the pod it describes, as the API server does.
/// </summary>
public static class JsonPatch
{
    /// <summary>The document after <paramref name="operations"/>; throws <see cref="FormatException"/> for a patch that does not apply.</summary>
    public static JsonObject Apply(JsonObject document, JsonArray operations)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(operations);
        var root = (JsonObject)document.DeepClone();
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || JsonFields.Text(op["op"]) is not { } name || JsonFields.Text(op["path"]) is not { } path)
            {
                throw new FormatException($"not a JSON Patch operation: {operation?.ToJsonString()}");
            }

            var tokens = Parse(path);
            if (tokens.Count == 0)
            {
                throw new FormatException($"{name} of the whole document is not supported");
            }

            var parent = Walk(root, tokens.Take(tokens.Count - 1), path);
            var last = tokens[^1];
            switch (name)
            {
                case "add":
                    Add(parent, last, op["value"]?.DeepClone(), path);
                    break;
                case "remove":
                    Remove(parent, last, path);
                    break;
                case "replace":
                    Remove(parent, last, path);
                    Add(parent, last, op["value"]?.DeepClone(), path);
                    break;
                default:
                    throw new FormatException($"JSON Patch operation '{name}' is not supported");
            }
        }

        return root;
    }

    private static void Add(JsonNode parent, string token, JsonNode? value, string path)
    {
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array when Index(token, array.Count + 1, path) is var i:
                array.Insert(i, value);
                break;
            default:
                throw new FormatException($"{path}: the parent is not an object or array");
        }
    }

    private static void Remove(JsonNode parent, string token, string path)
    {
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                obj.Remove(token);
                break;
            case JsonArray array when Index(token, array.Count, path) is var i:
                array.RemoveAt(i);
                break;
            default:
                throw new FormatException($"{path}: no such member");
        }
    }

    private static JsonNode Walk(JsonNode root, IEnumerable<string> tokens, string path)
    {
        var node = root;
        foreach (var token in tokens)
        {
            node = node switch
            {
                JsonObject obj => obj[token],
                JsonArray array => array[Index(token, array.Count, path)],
                _ => null,
            } ?? throw new FormatException($"{path}: '{token}' does not exist");
        }

        return node;
    }

    /// <summary>An array index (RFC 6901: digits, no leading zero) below <paramref name="limit"/>.</summary>
    private static int Index(string token, int limit, string path) =>
        (token == "0" || (token.Length > 0 && token[0] != '0')) && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < limit
            ? i
            : throw new FormatException($"{path}: '{token}' is not an index of the array");

    private static List<string> Parse(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw new FormatException($"'{pointer}' is not a JSON Pointer");
        }

        return [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }
}
