using Weft.Routing.Filters;
using Weft.Routing.Matching;

namespace Weft.Bench;

/// <summary>
/// A small array-backed header collection, the shape a proxy keeps a request's dozen headers in: linear, case-insensitive
/// lookups; <c>Append</c> adds a further field line (RFC 9110 section 5.3) so that no value strings are concatenated.
/// </summary>
public sealed class ArrayHeaders : IHeaderEditor, IHeaderLookup
{
    private readonly (string Name, string Value)[] _original;
    private readonly (string Name, string Value)[] _items;
    private int _count;

    public ArrayHeaders(params (string Name, string Value)[] headers)
    {
        _original = headers;
        _items = new (string, string)[headers.Length + 8];
        Reset();
    }

    public int Count => _count;

    /// <summary>Back to the headers it was made with, without allocating.</summary>
    public void Reset()
    {
        _original.CopyTo(_items, 0);
        _count = _original.Length;
    }

    public bool TryGetValue(string name, out string? value)
    {
        var i = IndexOf(name, 0);
        value = i < 0 ? null : _items[i].Value;
        return i >= 0;
    }

    /// <summary>The first value only: joining repeated values would allocate, and the benchmarks never repeat a header they read.</summary>
    public string? Get(string name) => TryGetValue(name, out var v) ? v : null;

    public void Set(string name, string value)
    {
        var i = IndexOf(name, 0);
        if (i < 0)
        {
            _items[_count++] = (name, value);
            return;
        }

        _items[i] = (name, value);
        RemoveFrom(name, i + 1);
    }

    public void Append(string name, string value) => _items[_count++] = (name, value);

    public void Remove(string name) => RemoveFrom(name, 0);

    private void RemoveFrom(string name, int start)
    {
        var kept = start;
        for (var i = start; i < _count; i++)
        {
            if (!string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                _items[kept++] = _items[i];
            }
        }

        _count = kept;
    }

    private int IndexOf(string name, int start)
    {
        for (var i = start; i < _count; i++)
        {
            if (string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
