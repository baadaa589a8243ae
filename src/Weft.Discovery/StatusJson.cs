using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Discovery;

/// <summary>
/// Route statuses as Weft writes them (<c>status.parents[]</c>, gamma-spec H1), in the list form that
/// <c>weft status</c> and <c>weft validate -o json</c> print: <c>[{kind, namespace, name, status: {parents: [...]}}]</c>.
/// Written with <see cref="Utf8JsonWriter"/>, so it is trimming- and AOT-safe.
/// </summary>
public static class StatusJson
{
    /// <param name="statuses">The statuses, in the order to print them.</param>
    /// <param name="now">Stamped as every condition's <c>lastTransitionTime</c>.</param>
    /// <param name="indented">Indent the JSON for people to read.</param>
    public static byte[] ToUtf8Bytes(IReadOnlyList<RouteStatus> statuses, DateTimeOffset now, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(json, statuses, now);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string ToJson(IReadOnlyList<RouteStatus> statuses, DateTimeOffset now, bool indented = true) =>
        Encoding.UTF8.GetString(ToUtf8Bytes(statuses, now, indented));

    public static void Write(Utf8JsonWriter json, IReadOnlyList<RouteStatus> statuses, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(statuses);
        var time = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        json.WriteStartArray();
        foreach (var status in statuses)
        {
            json.WriteStartObject();
            json.WriteString("kind", status.Kind);
            json.WriteString("namespace", status.Namespace);
            json.WriteString("name", status.Name);
            json.WriteStartObject("status");
            json.WriteStartArray("parents");
            foreach (var parent in status.Parents)
            {
                json.WriteStartObject();
                WriteParentRef(json, parent.ParentRef);
                json.WriteString("controllerName", parent.ControllerName);
                json.WriteStartArray("conditions");
                foreach (var c in parent.Conditions)
                {
                    json.WriteStartObject();
                    json.WriteString("type", c.Type);
                    json.WriteString("status", c.Status);
                    json.WriteString("reason", c.Reason);
                    json.WriteString("message", c.Message);
                    json.WriteNumber("observedGeneration", c.ObservedGeneration);
                    json.WriteString("lastTransitionTime", time);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>The parentRef exactly as the spec wrote it, defaults included (H1: copied from the spec).</summary>
    private static void WriteParentRef(Utf8JsonWriter json, ParentReference p)
    {
        json.WriteStartObject("parentRef");
        json.WriteString("group", p.Group);
        json.WriteString("kind", p.Kind);
        if (p.Namespace is not null)
        {
            json.WriteString("namespace", p.Namespace);
        }

        json.WriteString("name", p.Name);
        if (p.SectionName is not null)
        {
            json.WriteString("sectionName", p.SectionName);
        }

        if (p.Port is int port)
        {
            json.WriteNumber("port", port);
        }

        json.WriteEndObject();
    }

    /// <summary>Reads back what <see cref="Write"/> wrote (for <c>weft status</c>, which gets it from the control plane).</summary>
    public static IReadOnlyList<RouteStatus> Read(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        using var doc = JsonDocument.ParseValue(ref reader);
        var list = new List<RouteStatus>();
        foreach (var route in doc.RootElement.EnumerateArray())
        {
            var parents = new List<RouteParentStatus>();
            foreach (var parent in route.GetProperty("status").GetProperty("parents").EnumerateArray())
            {
                var p = parent.GetProperty("parentRef");
                var parentRef = new ParentReference
                {
                    Group = p.GetProperty("group").GetString()!,
                    Kind = p.GetProperty("kind").GetString()!,
                    Namespace = p.TryGetProperty("namespace", out var ns) ? ns.GetString() : null,
                    Name = p.GetProperty("name").GetString()!,
                    SectionName = p.TryGetProperty("sectionName", out var section) ? section.GetString() : null,
                    Port = p.TryGetProperty("port", out var port) ? port.GetInt32() : null,
                };
                var conditions = new List<RouteCondition>();
                foreach (var c in parent.GetProperty("conditions").EnumerateArray())
                {
                    conditions.Add(new RouteCondition(
                        c.GetProperty("type").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("reason").GetString()!,
                        c.GetProperty("message").GetString()!, c.GetProperty("observedGeneration").GetInt64()));
                }

                parents.Add(new RouteParentStatus(parentRef, parent.GetProperty("controllerName").GetString()!, conditions));
            }

            var generation = parents.SelectMany(x => x.Conditions).Select(c => c.ObservedGeneration).DefaultIfEmpty(1).Max();
            list.Add(new RouteStatus(route.GetProperty("kind").GetString()!, route.GetProperty("namespace").GetString()!,
                route.GetProperty("name").GetString()!, generation, parents));
        }

        return list;
    }
}
