using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// An approximation of strategic merge patch for the built-in kinds: maps merge as in a merge patch; lists of objects
/// whose field has a merge key in Kubernetes' Go types (containers/volumes/env by <c>name</c>, container ports by
/// <c>containerPort</c>, service ports by <c>port</c>, volumeMounts by <c>mountPath</c>, conditions by <c>type</c>,
/// ownerReferences by <c>uid</c>) merge element by element; other lists are replaced. Directives honoured:
/// <c>$patch: delete|replace|merge</c> on maps and list elements, <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/</c>;
/// <c>$setElementOrder/</c> is accepted and ignored (the merged order is the original's with new elements appended).
/// Not modelled: per-field strategies beyond that table (e.g. <c>finalizers</c> set-merge).
/// </summary>
internal static class StrategicMergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["imagePullSecrets"] = "name",
        ["secrets"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["hostAliases"] = "ip",
        ["topologySpreadConstraints"] = "topologyKey",
        ["tolerations"] = "key",
        ["webhooks"] = "name",
    };

    public static JsonObject Apply(JsonObject target, JsonObject patch) =>
        MergeObject(target.DeepClone().AsObject(), patch) ?? [];

    private static JsonObject? MergeObject(JsonObject target, JsonObject patch)
    {
        switch (Directive(patch, "$patch"))
        {
            case "delete":
                return null;
            case "replace":
                return Strip(patch)!.AsObject();
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal)
                && target[key["$deleteFromPrimitiveList/".Length..]] is JsonArray primitives && value is JsonArray toDelete)
            {
                foreach (var gone in toDelete)
                {
                    foreach (var item in primitives.Where(p => JsonNode.DeepEquals(p, gone)).ToList())
                    {
                        primitives.Remove(item);
                    }
                }
            }

            if (key.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchChild && target[key] is JsonObject targetChild)
            {
                var merged = MergeObject(targetChild.DeepClone().AsObject(), patchChild);
                if (merged is null)
                {
                    target.Remove(key);
                }
                else
                {
                    target[key] = merged;
                }
            }
            else if (value is JsonArray patchList && target[key] is JsonArray targetList && MergeKey(key, targetList, patchList) is { } mergeKey)
            {
                target[key] = MergeList(targetList, patchList, mergeKey);
            }
            else if (value is JsonObject deleted && Directive(deleted, "$patch") == "delete")
            {
                target.Remove(key);
            }
            else
            {
                target[key] = Strip(value);
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.ToString()).ToHashSet(StringComparer.Ordinal);
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(key);
            }
        }

        return target;
    }

    private static string? MergeKey(string field, JsonArray target, JsonArray patch)
    {
        var elements = target.Concat(patch).OfType<JsonObject>().ToList();
        if (elements.Count == 0)
        {
            return null;
        }

        if (field == "ports")
        {
            return elements.Any(e => e.ContainsKey("containerPort")) ? "containerPort" : "port";
        }

        return MergeKeys.GetValueOrDefault(field);
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, string mergeKey)
    {
        if (patch.OfType<JsonObject>().Any(e => Directive(e, "$patch") == "replace"))
        {
            return [.. patch.OfType<JsonObject>().Where(e => Directive(e, "$patch") != "replace").Select(Strip)];
        }

        var result = new JsonArray([.. target.Select(e => e?.DeepClone())]);
        foreach (var element in patch)
        {
            if (element is not JsonObject patchElement)
            {
                result.Add(element?.DeepClone());
                continue;
            }

            var keyValue = patchElement[mergeKey];
            var existing = result.OfType<JsonObject>().FirstOrDefault(e => JsonNode.DeepEquals(e[mergeKey], keyValue));
            if (Directive(patchElement, "$patch") == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }

                continue;
            }

            if (existing is null)
            {
                result.Add(Strip(patchElement));
                continue;
            }

            var index = result.IndexOf(existing);
            result[index] = MergeObject(existing.DeepClone().AsObject(), patchElement);
        }

        return result;
    }

    private static string? Directive(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A copy without patch directives (keys starting with <c>$</c>).</summary>
    private static JsonNode? Strip(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => !p.Key.StartsWith('$')).Select(p => KeyValuePair.Create(p.Key, Strip(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Strip)]),
        _ => node?.DeepClone(),
    };
}
