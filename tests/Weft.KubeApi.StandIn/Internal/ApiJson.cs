using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>JSON as Go's encoder writes it on the wire: quotes as <c>\"</c>, not <c>\u0022</c>; '&lt;', '&gt;', '&amp;' left alone.</summary>
internal static class ApiJson
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode node) => node.ToJsonString(Options);
}
