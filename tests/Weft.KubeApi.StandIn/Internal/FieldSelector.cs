using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A parsed <c>fieldSelector</c>: <c>field=value</c>, <c>field==value</c>, <c>field!=value</c>, comma-separated. Like the
/// real server, only the fields a resource indexes are accepted: <c>metadata.name</c> and <c>metadata.namespace</c> for every
/// resource, plus a few pod and secret fields; any other field is 400 "field label not supported".
/// </summary>
internal sealed class FieldSelector
{
    private static readonly Dictionary<string, string[]> ExtraFields = new(StringComparer.Ordinal)
    {
        ["pods"] = ["spec.nodeName", "spec.serviceAccountName", "status.phase", "status.podIP", "spec.restartPolicy", "spec.schedulerName"],
        ["secrets"] = ["type"],
    };

    private readonly IReadOnlyList<(string Field, string Value, bool Negate)> _terms;

    private FieldSelector(IReadOnlyList<(string Field, string Value, bool Negate)> terms)
    {
        _terms = terms;
    }

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEverything => _terms.Count == 0;

    /// <summary>The name the selector pins (<c>metadata.name=X</c>), if it does.</summary>
    public string? Name => _terms.FirstOrDefault(t => t.Field == "metadata.name" && !t.Negate).Value;

    public static FieldSelector ForName(string name) => new([("metadata.name", name, false)]);

    public FieldSelector And(FieldSelector other) => new([.. _terms, .. other._terms]);

    public bool Matches(JsonObject obj) =>
        _terms.All(t => (ObjectMeta.Field(obj, t.Field) ?? "") == t.Value != t.Negate);

    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, string, bool)>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            (string Op, bool Negate)? found = null;
            foreach (var candidate in new[] { ("!=", true), ("==", false), ("=", false) })
            {
                if (part.Contains(candidate.Item1, StringComparison.Ordinal))
                {
                    found = candidate;
                    break;
                }
            }

            if (found is not { } op)
            {
                throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            }

            var at = part.IndexOf(op.Op, StringComparison.Ordinal);
            var field = part[..at].Trim();
            var value = part[(at + op.Op.Length)..].Trim();
            var supported = field is "metadata.name" or "metadata.namespace"
                || (ExtraFields.TryGetValue(type.Plural, out var extra) && type.Group.Length == 0 && extra.Contains(field));
            if (!supported)
            {
                throw ApiException.BadRequest($"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
            }

            terms.Add((field, value, op.Negate));
        }

        return new FieldSelector(terms);
    }
}
