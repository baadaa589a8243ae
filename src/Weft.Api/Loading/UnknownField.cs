namespace Weft.Api.Loading;

/// <summary>A field the schema does not declare; with strict field validation the API server rejects the object.</summary>
internal sealed record UnknownField(string Path, string Name, int Line, int Column, FieldSchema Siblings)
{
    /// <summary>The API server's strict decoding wording, e.g. <c>strict decoding error: unknown field "spec.rules[0].backendRef"</c>.</summary>
    public string Message => $"strict decoding error: unknown field \"{Path}\"";

    public string Hint => Siblings.AbsentHint(Name) ?? (NearestKnown() is { } known
        ? $"did you mean {known}? (or remove the field; check its indentation too)"
        : $"remove it, or check its name and indentation: the fields here are {string.Join(", ", Siblings.FieldNames.Order(StringComparer.Ordinal))}");

    /// <summary>A known sibling that differs by case or at most two edits (backendRef → backendRefs, matchs → matches).</summary>
    private string? NearestKnown()
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var known in Siblings.FieldNames)
        {
            var distance = string.Equals(known, Name, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(known, Name);
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(known, best) < 0))
            {
                (best, bestDistance) = (known, distance);
            }
        }

        return bestDistance <= Math.Min(2, Name.Length / 2) ? best : null;
    }

    /// <summary>Levenshtein distance, for names of a few characters (also <see cref="KnownKinds.NotServed"/>'s slips of a kind).</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
