namespace Weft.Routing.Internal;

/// <summary>
/// An immutable map made from another with a few keys changed, without copying it: a base shared by the maps made from
/// one another and a layer of the keys changed since it was made (a value, or null for none), copied by each change and
/// folded into a new base once it holds more than 64 keys and the square root of twice the base's entries, so that the
/// copies and the folds cost about the same per change (issue 18: at 50k the pods, and the endpoints at each address,
/// were copied whole or made again for each pod or slice that changed; at 10k the model's routes and groups and the
/// index's Services and slices were, a large-object allocation of each per change, which started the control plane's
/// longest collections). A fold still copies the base: at 10,000 routes, once in about 70 route edits (each puts the old
/// route and the new one in the layer). The layer takes the base's comparer; changes are to be keyed by the same.
/// </summary>
internal sealed class LayeredMap<TKey, TValue>
    where TKey : notnull
    where TValue : class
{
    private readonly Dictionary<TKey, TValue> _base;
    private readonly Dictionary<TKey, TValue?> _layer;

    /// <summary>A map of <paramref name="entries"/>, which it owns from then on (its comparer is the map's).</summary>
    public LayeredMap(Dictionary<TKey, TValue> entries)
        : this(entries, new Dictionary<TKey, TValue?>(entries.Comparer), entries.Count)
    {
    }

    private LayeredMap(Dictionary<TKey, TValue> @base, Dictionary<TKey, TValue?> layer, int count)
    {
        _base = @base;
        _layer = layer;
        Count = count;
    }

    /// <summary>How many keys have a value.</summary>
    public int Count { get; }

    /// <summary>How many keys the layer over the base holds (tests).</summary>
    internal int Layered => _layer.Count;

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public TValue? this[TKey key] => _layer.TryGetValue(key, out var value) ? value : _base.GetValueOrDefault(key);

    /// <summary>The value of <paramref name="key"/> looked up by another form of it (a string key by its characters), or null.</summary>
    public TValue? Find<TAlternate>(TAlternate key)
        where TAlternate : notnull, allows ref struct =>
        _layer.Count > 0 && _layer.GetAlternateLookup<TAlternate>().TryGetValue(key, out var value) ? value
            : _base.GetAlternateLookup<TAlternate>().TryGetValue(key, out var held) ? held : null;

    /// <summary>Every value, in no particular order.</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            foreach (var (key, value) in _base)
            {
                if (!_layer.ContainsKey(key))
                {
                    yield return value;
                }
            }

            foreach (var value in _layer.Values)
            {
                if (value is not null)
                {
                    yield return value;
                }
            }
        }
    }

    /// <summary>This map with each key of <paramref name="changes"/> given its value there (null: none).</summary>
    public LayeredMap<TKey, TValue> With(IReadOnlyDictionary<TKey, TValue?> changes)
    {
        if (changes.Count == 0)
        {
            return this;
        }

        var layer = new Dictionary<TKey, TValue?>(_layer, _base.Comparer);
        var count = Count;
        foreach (var (key, value) in changes)
        {
            count += (value is null ? 0 : 1) - (this[key] is null ? 0 : 1);
            layer[key] = value;
        }

        if (layer.Count <= Math.Max(64, Math.Sqrt(2.0 * _base.Count)))
        {
            return new LayeredMap<TKey, TValue>(_base, layer, count);
        }

        // The layer has grown: a new base with it folded in.
        var folded = new Dictionary<TKey, TValue>(_base, _base.Comparer);
        foreach (var (key, value) in layer)
        {
            if (value is null)
            {
                folded.Remove(key);
            }
            else
            {
                folded[key] = value;
            }
        }

        return new LayeredMap<TKey, TValue>(folded);
    }
}
