using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>List with the real server's resourceVersion semantics (unset: most recent; "0": any; N: not older than N, or exactly N).</summary>
internal sealed partial class ResourceRegistry
{
    private const string ContinueTooOld =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    public JsonObject List(ResourceRequest r, ListOptions options)
    {
        var type = r.Type;
        lock (_store.Gate)
        {
            var current = _store.ResourceVersion;
            long at;
            ObjectKey? after = null;
            if (options.Continue is { Length: > 0 } token)
            {
                if (options.ResourceVersion is { Length: > 0 })
                {
                    throw ApiException.BadRequest("specifying resource version is not allowed when using continue");
                }

                var decoded = ContinueToken.Decode(token);
                if (decoded.ResourceVersion < _store.CompactedAt)
                {
                    throw ApiException.Expired(ContinueTooOld);
                }

                at = decoded.ResourceVersion;
                after = decoded.After;
            }
            else if (options.ResourceVersion is null or "" or "0")
            {
                if (options.ResourceVersionMatch is { Length: > 0 } && options.ResourceVersion is null or "")
                {
                    throw ApiException.BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
                }

                at = current;
            }
            else
            {
                var requested = ParseResourceVersion(options.ResourceVersion);
                var exact = options.ResourceVersionMatch switch
                {
                    "Exact" => true,
                    "NotOlderThan" => false,
                    null or "" => options.Limit is > 0,
                    var other => throw ApiException.BadRequest($"resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""),
                };
                if (requested > current)
                {
                    throw ApiException.TooLargeResourceVersion(requested, current);
                }

                if (exact && requested < _store.CompactedAt)
                {
                    throw ApiException.Expired($"too old resource version: {requested} ({_store.CompactedAt})");
                }

                at = exact ? requested : current;
            }

            var source = at == current ? _store.Items(type.StorageKey) : _store.ItemsAt(type.StorageKey, at);
            var matching = source
                .Where(o => r.Namespace is null || ObjectMeta.Namespace(o) == r.Namespace)
                .Where(o => options.Labels.Matches(ObjectMeta.Labels(o)) && options.Fields.Matches(o))
                .Where(o => after is not { } start || ObjectKey.Of(o) > start)
                .ToList();
            var page = options.Limit is > 0 and var limit ? matching.Take(limit).ToList() : matching;
            var metadata = new JsonObject { ["resourceVersion"] = at.ToString() };
            if (page.Count < matching.Count)
            {
                metadata["continue"] = new ContinueToken(at, ObjectKey.Of(page[^1])).Encode();
                if (options.Labels.IsEverything && options.Fields.IsEverything)
                {
                    metadata["remainingItemCount"] = matching.Count - page.Count;
                }
            }

            return new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion(r.Version),
                ["metadata"] = metadata,
                ["items"] = new JsonArray([.. page.Select(o => (JsonNode)ApiObjects.ListItem(o, type, r.Version))]),
            };
        }
    }

    /// <summary>DELETE on a collection: deletes what the selectors match and answers the list of deleted objects.</summary>
    public JsonObject DeleteCollection(ResourceRequest r, ListOptions options, JsonObject? deleteOptions)
    {
        lock (_store.Gate)
        {
            var list = List(r, options with { Limit = null, Continue = null, ResourceVersion = null, ResourceVersionMatch = null });
            var deleted = new JsonArray();
            foreach (var item in list["items"]!.AsArray().OfType<JsonObject>())
            {
                var one = r with { Namespace = ObjectMeta.Namespace(item), Name = ObjectMeta.Name(item) };
                Delete(one, deleteOptions);
                deleted.Add(item.DeepClone());
            }

            list["items"] = deleted;
            list["metadata"]!["resourceVersion"] = _store.ResourceVersion.ToString();
            return list;
        }
    }

    public static long ParseResourceVersion(string text) =>
        long.TryParse(text, out var rv) && rv >= 0
            ? rv
            : throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{text}\": strconv.ParseUint: parsing \"{text}\": invalid syntax");
}
