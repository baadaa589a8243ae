namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A parsed <c>labelSelector</c>: comma-separated requirements <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>,
/// <c>k notin (a,b)</c>, <c>k</c> (exists) and <c>!k</c> (does not exist), all of which must hold (apimachinery's labels.Parse).
/// </summary>
internal sealed class LabelSelector
{
    private readonly IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> requirements)
    {
        _requirements = requirements;
    }

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEverything => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var part in SplitTopLevel(text))
        {
            requirements.Add(ParseRequirement(part.Trim(), text));
        }

        return new LabelSelector(requirements);
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(text[start..i]);
                    start = i + 1;
                    break;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(string part, string whole)
    {
        if (part.Length == 0)
        {
            throw Invalid(whole, "found '', expected: identifier");
        }

        if (part.StartsWith('!'))
        {
            var key = ValidKey(part[1..].Trim(), whole);
            return labels => !labels.ContainsKey(key);
        }

        foreach (var (op, negate) in new[] { (" notin ", true), (" in ", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = ValidKey(part[..at].Trim(), whole);
                var rest = part[(at + op.Length)..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')'))
                {
                    throw Invalid(whole, "found '" + rest + "', expected: '('");
                }

                var values = rest[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToHashSet(StringComparer.Ordinal);
                return negate
                    ? labels => !labels.TryGetValue(key, out var v) || !values.Contains(v)
                    : labels => labels.TryGetValue(key, out var v) && values.Contains(v);
            }
        }

        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = ValidKey(part[..at].Trim(), whole);
                var value = part[(at + op.Length)..].Trim();
                return negate
                    ? labels => !labels.TryGetValue(key, out var v) || v != value
                    : labels => labels.TryGetValue(key, out var v) && v == value;
            }
        }

        var exists = ValidKey(part, whole);
        return labels => labels.ContainsKey(exists);
    }

    private static string ValidKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
        {
            throw Invalid(whole, $"invalid label key \"{key}\"");
        }

        return key;
    }

    private static ApiException Invalid(string selector, string why) =>
        ApiException.BadRequest($"unable to parse requirement: {why} (in selector \"{selector}\")");
}
