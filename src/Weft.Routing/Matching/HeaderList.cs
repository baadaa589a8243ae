using Weft.Routing.Filters;

namespace Weft.Routing.Matching;

/// <summary>
/// Request or response headers as a list, for planning outside a proxy (the offline conformance runner,
/// <c>weft explain</c>): names case-insensitive, a repeated header one comma-joined value (gamma-spec E4, RFC 9110
/// section 5.3), edits as the header filters make them.
/// </summary>
public sealed class HeaderList : IHeaderLookup, IHeaderEditor
{
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
            _values[index] = new(_values[index].Key, _values[index].Value + "," + value);
        }
    }

    public void Remove(string name) => _values.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    private int IndexOf(string name) => _values.FindIndex(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
}
