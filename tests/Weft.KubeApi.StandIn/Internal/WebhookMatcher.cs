using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// Whether a webhook is called for a request, as the apiserver's webhook <c>predicates</c> decide: its <c>rules</c>
/// (operations, apiGroups, apiVersions, resources with <c>*</c>, <c>*/*</c>, <c>x/sub</c>, <c>*/sub</c>, and scope),
/// its <c>namespaceSelector</c> (against the namespace's labels; a Namespace is matched on its own labels; cluster-scoped
/// objects always match) and its <c>objectSelector</c> (against the object's or the old object's labels).
/// <c>matchConditions</c> (CEL) are not evaluated: a webhook with them is called as if they all held.
/// </summary>
internal static class WebhookMatcher
{
    public static bool Matches(JsonObject webhook, AdmissionAttributes attributes, IReadOnlyDictionary<string, string>? namespaceLabels) =>
        RulesMatch(webhook, attributes.Operation, attributes.Request)
        && NamespaceMatches(webhook["namespaceSelector"] as JsonObject, attributes, namespaceLabels)
        && ObjectMatches(webhook["objectSelector"] as JsonObject, attributes);

    /// <summary>Whether one of the webhook's rules names this operation on this resource (selectors aside).</summary>
    public static bool RulesMatch(JsonObject webhook, string operation, ResourceRequest request) =>
        (webhook["rules"] as JsonArray ?? []).OfType<JsonObject>().Any(rule =>
            Contains(rule["operations"], operation)
            && Contains(rule["apiGroups"], request.Type.Group)
            && Contains(rule["apiVersions"], request.Version)
            && ResourceMatches(rule["resources"], request.Type.Plural, request.Subresource)
            && ScopeMatches(rule["scope"]?.ToString() ?? "*", request.Type));

    private static bool Contains(JsonNode? list, string value) =>
        (list as JsonArray ?? []).Any(v => v?.ToString() is "*" || v?.ToString() == value);

    private static bool ResourceMatches(JsonNode? list, string plural, string? subresource)
    {
        foreach (var entry in (list as JsonArray ?? []).Select(v => v?.ToString() ?? ""))
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var (resource, sub) = slash < 0 ? (entry, (string?)null) : (entry[..slash], entry[(slash + 1)..]);
            var resourceOk = resource == "*" || resource == plural;
            var subOk = sub == "*" || sub == subresource;
            if (resourceOk && subOk)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Namespaces are cluster-scoped: "Cluster" matches them, "Namespaced" does not.</summary>
    private static bool ScopeMatches(string scope, ResourceType type) => scope switch
    {
        "Cluster" => !type.Namespaced,
        "Namespaced" => type.Namespaced,
        _ => true,
    };

    private static bool NamespaceMatches(JsonObject? selector, AdmissionAttributes a, IReadOnlyDictionary<string, string>? namespaceLabels)
    {
        if (a.Request.Type == BuiltInResources.Namespaces)
        {
            return SelectorMatches(selector, ObjectMeta.Labels(a.Object ?? a.OldObject!));
        }

        return !a.Request.Type.Namespaced || SelectorMatches(selector, namespaceLabels ?? new Dictionary<string, string>());
    }

    private static bool ObjectMatches(JsonObject? selector, AdmissionAttributes a) =>
        (a.Object is not null && SelectorMatches(selector, ObjectMeta.Labels(a.Object)))
        || (a.OldObject is not null && SelectorMatches(selector, ObjectMeta.Labels(a.OldObject)));

    /// <summary>A metav1 LabelSelector: <c>matchLabels</c> and <c>matchExpressions</c> (In, NotIn, Exists, DoesNotExist) all hold; empty matches all.</summary>
    public static bool SelectorMatches(JsonObject? selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector?["matchLabels"] as JsonObject ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value?.ToString())
            {
                return false;
            }
        }

        foreach (var expression in (selector?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = expression["key"]?.ToString() ?? "";
            var values = (expression["values"] as JsonArray ?? []).Select(v => v?.ToString()).ToHashSet(StringComparer.Ordinal);
            var has = labels.TryGetValue(key, out var actual);
            var holds = expression["operator"]?.ToString() switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }
}
