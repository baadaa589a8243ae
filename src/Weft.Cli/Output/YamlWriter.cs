using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weft.Cli.Output;

/// <summary>Writes a JSON tree as block-style YAML, quoting strings only where YAML would misread them.</summary>
internal static class YamlWriter
{
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        WriteNode(sb, node, 0, inSequence: false);
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, JsonNode? node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!(first && inSequence))
                    {
                        sb.Append(' ', indent);
                    }

                    first = false;
                    sb.Append(Scalar(key)).Append(':');
                    WriteChild(sb, value, indent);
                }

                break;
            case JsonArray arr when arr.Count > 0:
                foreach (var item in arr)
                {
                    if (!inSequence || sb.Length == 0 || sb[^1] == '\n')
                    {
                        sb.Append(' ', indent);
                    }

                    inSequence = false;
                    sb.Append("- ");
                    if (item is JsonObject or JsonArray && (item as JsonObject)?.Count != 0 && (item as JsonArray)?.Count != 0)
                    {
                        WriteNode(sb, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        sb.Append(Inline(item)).Append('\n');
                    }
                }

                break;
            default:
                sb.Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder sb, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                sb.Append('\n');
                WriteNode(sb, o, indent + 2, inSequence: false);
                break;
            case JsonArray a when a.Count > 0:
                sb.Append('\n');
                WriteNode(sb, a, indent, inSequence: false);
                break;
            default:
                sb.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private static readonly HashSet<string> ReservedWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "null", "~", "yes", "no", "on", "off", "y", "n",
    };

    private static string Scalar(string s)
    {
        if (s.Length == 0)
        {
            return "\"\"";
        }

        // YAML 1.1 readers (kubectl among them) take these as booleans or null in any case: "True" must stay a string.
        var plain = !ReservedWords.Contains(s)
            && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && s.IndexOfAny(['#', '\n', '"', '\'', '\\', '\t', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`']) < 0
            && !s.Contains(": ", StringComparison.Ordinal) && !s.EndsWith(':') && !s.StartsWith(' ') && !s.EndsWith(' ')
            && !s.StartsWith('-') && !s.StartsWith('?');
        return plain ? s : JsonSerializer.Serialize(s, CliJsonContext.Relaxed.String);
    }
}
