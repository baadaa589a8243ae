using Weft.Routing.Filters;

namespace Weft.Routing.Matching;

/// <summary>
/// Headers read as gamma-spec E4 reads them: names compared case-insensitively, and a header sent on several lines one
/// value, its lines' values joined by a comma in order (RFC 9110 section 5.3). The one home of that reading: an instance
/// is a list of headers for planning outside a proxy (the offline conformance runner, <c>weft explain</c>), edited as
/// the header filters edit; a lookup over another collection (Kestrel's header dictionary, a raw HTTP/1.1 head) joins
/// its lines with <see cref="Join{TValues}"/> or <see cref="AppendValue"/>.
/// </summary>
public sealed class HeaderList : IHeaderLookup, IHeaderEditor
{
    /// <summary>What joins the values of one header's lines.</summary>
    public const string Separator = ",";

    private readonly List<KeyValuePair<string, string>> _values = [];

    public HeaderList()
    {
    }

    /// <summary>A list holding <paramref name="headers"/>, repeated names joined.</summary>
    public HeaderList(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var (name, value) in headers)
        {
            Append(name, value);
        }
    }

    /// <summary>Every header, once, in the order first added.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> All => _values;

    public bool TryGetValue(string name, out string? value)
    {
        value = Get(name);
        return value is not null;
    }

    public string? Get(string name)
    {
        var index = IndexOf(name);
        return index < 0 ? null : _values[index].Value;
    }

    public void Set(string name, string value)
    {
        Remove(name);
        _values.Add(new(name, value));
    }

    public void Append(string name, string value)
    {
        var index = IndexOf(name);
        if (index < 0)
        {
            _values.Add(new(name, value));
        }
        else
        {
            _values[index] = new(_values[index].Key, AppendValue(_values[index].Value, value));
        }
    }

    public void Remove(string name) => _values.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    private int IndexOf(string name)
    {
        for (var i = 0; i < _values.Count; i++)
        {
            if (_values[i].Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return i; // a loop, not FindIndex with a closure: matching a rule's headers allocates nothing
            }
        }

        return -1;
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
            value = AppendValue(value, values[i] ?? "");
        }

        return value;
    }

    /// <summary>
    /// <paramref name="joined"/> (the value of a header's lines so far, null before the first) with the value of its next
    /// line.
    /// </summary>
    public static string AppendValue(string? joined, string value) => joined is null ? value : string.Concat(joined, Separator, value);
}
