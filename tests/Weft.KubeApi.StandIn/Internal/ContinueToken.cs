using System.Text;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A list continuation: the resourceVersion the first page was read at and the key to go on after, base64 JSON in the
/// shape etcd3's continue tokens have (<c>{"v":"meta.k8s.io/v1","rv":N,"start":"..."}</c>).
/// </summary>
internal sealed record ContinueToken(long ResourceVersion, ObjectKey After)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["v"] = "meta.k8s.io/v1",
        ["rv"] = ResourceVersion,
        ["start"] = After.Namespace + "/" + After.Name + "\u0000",
    }.ToJsonString()));

    public static ContinueToken Decode(string text)
    {
        try
        {
            var json = JsonNode.Parse(Convert.FromBase64String(text))!.AsObject();
            var start = json["start"]!.GetValue<string>().TrimEnd('\u0000');
            var slash = start.IndexOf('/', StringComparison.Ordinal);
            if (json["v"]?.GetValue<string>() != "meta.k8s.io/v1" || slash < 0)
            {
                throw new FormatException();
            }

            return new ContinueToken(json["rv"]!.GetValue<long>(), new ObjectKey(start[..slash], start[(slash + 1)..]));
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or System.Text.Json.JsonException)
        {
            throw ApiException.BadRequest("continue key is not valid: " + e.Message);
        }
    }
}
