using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// Turns a CustomResourceDefinition into the resource it serves, and fills in the status the apiextensions server
/// would (Established, NamesAccepted, acceptedNames, storedVersions). The schema is not used: custom resources are not
/// validated, pruned or defaulted (a simplification; the real server applies the structural schema).
/// </summary>
internal static class CustomResourceDefinitions
{
    public static ResourceType ToResourceType(JsonObject crd)
    {
        var type = BuiltInResources.CustomResourceDefinitions;
        var name = ObjectMeta.Name(crd) ?? "";
        var spec = crd["spec"] as JsonObject ?? throw ApiException.Invalid(type, name, "spec", "FieldValueRequired", "Required value");
        var group = Text(spec, "group") ?? throw ApiException.Invalid(type, name, "spec.group", "FieldValueRequired", "Required value");
        var names = spec["names"] as JsonObject ?? throw ApiException.Invalid(type, name, "spec.names", "FieldValueRequired", "Required value");
        var plural = Text(names, "plural") ?? throw ApiException.Invalid(type, name, "spec.names.plural", "FieldValueRequired", "Required value");
        var kind = Text(names, "kind") ?? throw ApiException.Invalid(type, name, "spec.names.kind", "FieldValueRequired", "Required value");
        if (name != plural + "." + group)
        {
            throw ApiException.Invalid(type, name, "metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group");
        }

        var scope = Text(spec, "scope");
        if (scope is not ("Namespaced" or "Cluster"))
        {
            throw ApiException.Invalid(type, name, "spec.scope", "FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"");
        }

        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var storage = versions.Where(v => v["storage"]?.GetValue<bool>() == true).Select(v => Text(v, "name")).ToList();
        if (storage.Count != 1 || storage[0] is null)
        {
            throw ApiException.Invalid(type, name, "spec.versions", "FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version");
        }

        var served = versions.Where(v => v["served"]?.GetValue<bool>() == true).Select(v => Text(v, "name")!).ToList();
        var status = versions
            .Where(v => v["subresources"] is JsonObject s && s.ContainsKey("status"))
            .Select(v => Text(v, "name")!)
            .ToHashSet(StringComparer.Ordinal);
        return new ResourceType
        {
            Group = group,
            Plural = plural,
            Singular = Text(names, "singular") ?? kind.ToLowerInvariant(),
            Kind = kind,
            Namespaced = scope == "Namespaced",
            ShortNames = Strings(names["shortNames"]),
            Categories = Strings(names["categories"]),
            Versions = KubeVersionOrder.Sort(served),
            StorageVersion = storage[0]!,
            StatusVersions = status,
            IsCustom = true,
            DeleteReturnsObject = true,
        };
    }

    /// <summary>The status the apiextensions controllers would have written by the time a client reads the CRD.</summary>
    public static JsonObject EstablishedStatus(JsonObject crd, ResourceType served, string now)
    {
        var names = crd["spec"]!["names"]!.DeepClone().AsObject();
        names["singular"] ??= served.Singular;
        names["listKind"] ??= served.ListKind;
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now)),
            ["acceptedNames"] = names,
            ["storedVersions"] = new JsonArray(served.StorageVersion),
        };
    }

    /// <summary>
    /// The status before the establishing controller's turn: names accepted, Established False (Installing), as the
    /// naming controller writes it. The resource is not served yet.
    /// </summary>
    public static JsonObject InstallingStatus(JsonObject crd, ResourceType served, string now)
    {
        var status = EstablishedStatus(crd, served, now);
        status["conditions"] = new JsonArray(
            Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
            Condition("Established", "Installing", "the initial names have been accepted", now, "False"));
        return status;
    }

    /// <summary>Whether the CRD's Established condition is True (its resource is served).</summary>
    public static bool IsEstablished(JsonObject? crd) =>
        (crd?["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c["type"]?.ToString() == "Established" && c["status"]?.ToString() == "True");

    private static JsonObject Condition(string type, string reason, string message, string now, string status = "True") => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    private static string? Text(JsonObject obj, string field) =>
        obj[field] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(x => x?.ToString() ?? "")] : [];
}
