namespace Weft.Routing.Matching;

/// <summary>
/// A request's headers as a list of field lines (name, value), read as gamma-spec E4 reads headers: names compared
/// case-insensitively, and a header sent on several lines one value, its lines' values joined by a comma in order
/// (RFC 9110 section 5.3). The one home of that reading: a list is looked up through this type, and a lookup over
/// another collection (Kestrel's header dictionary, a raw HTTP/1.1 head) joins its lines with <see cref="Join{TValues}"/>
/// or <see cref="Append"/>.
/// </summary>
public readonly struct HeaderList(IReadOnlyList<KeyValuePair<string, string>> fields) : IHeaderLookup
{
    /// <summary>What joins the values of one header's lines.</summary>
    public const string Separator = ",";

    public bool TryGetValue(string name, out string? value)
    {
        value = Join(fields, name);
        return value is not null;
    }

    /// <summary>The value of header <paramref name="name"/> in <paramref name="fields"/>; null when no line has that name.</summary>
    public static string? Join(IEnumerable<KeyValuePair<string, string>> fields, string name)
    {
        ArgumentNullException.ThrowIfNull(fields);
        string? value = null;
        foreach (var field in fields)
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = Append(value, field.Value);
            }
        }

        return value;
    }

    /// <summary>The values of one header's lines, in order, as one value; null when there are none.</summary>
    public static string? Join<TValues>(TValues values)
        where TValues : IReadOnlyList<string?>
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count <= 1)
        {
            return values.Count == 0 ? null : values[0];
        }

        var value = values[0] ?? "";
        for (var i = 1; i < values.Count; i++)
        {
            value = Append(value, values[i] ?? "");
        }

        return value;
    }

    /// <summary>
    /// <paramref name="joined"/> (the value of a header's lines so far, null before the first) with the value of its next
    /// line.
    /// </summary>
    public static string Append(string? joined, string value) => joined is null ? value : string.Concat(joined, Separator, value);
}
