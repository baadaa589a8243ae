namespace Weft.Routing.Internal;

/// <summary>
/// A multimap shared by the models (or indexes) made from one another, which follows one of them: it holds what that
/// one's objects refer to, and more (only grown: what a changed object no longer refers to stays until it is made
/// again), never less. Made from the followed one's objects when first read, then told what each one made from it adds
/// (<see cref="Advance"/>). Read by a model or index it does not follow (an update of a model that was updated before, as
/// after a failed update), it is made again from that one's objects; and when the objects changed since it was made
/// outnumber those it was made from (twice over, and a thousand more), so that it mostly holds what is gone. Thread-safe.
/// </summary>
internal sealed class FollowedMultimap<TKey, TValue>(IEqualityComparer<TKey>? keys = null, IEqualityComparer<TValue>? values = null)
    where TKey : notnull
    where TValue : class
{
    private readonly Lock _gate = new();

    // A key's one value, or a HashSet<TValue> of its values once it has several: most keys have one, and a set each
    // made the multimap of 500,000 endpoints three times slower to make.
    private Dictionary<TKey, object>? _map;
    private long _follows = -1;
    private int _madeFrom;
    private int _changedSince;

    /// <summary>
    /// Each value of each of <paramref name="keysToRead"/> to <paramref name="found"/>, with the multimap following
    /// <paramref name="follower"/>: made first from <paramref name="source"/> (its <paramref name="count"/> objects, each
    /// put by <paramref name="put"/>) unless it follows it already. <paramref name="found"/> runs under the multimap's lock.
    /// </summary>
    public void Read<TSource>(
        long follower, TSource source, int count, Action<TSource, Action<TKey, TValue>> put, IEnumerable<TKey> keysToRead, Action<TValue> found)
    {
        lock (_gate)
        {
            if (_map is null || _follows != follower)
            {
                // Made whole before it is marked as following: one that failed half-way is made again next time.
                _map = null;
                var map = new Dictionary<TKey, object>(count, keys);
                put(source, (key, value) => Put(map, key, value));
                (_map, _follows, _madeFrom, _changedSince) = (map, follower, count, 0);
            }

            foreach (var key in keysToRead)
            {
                switch (_map.GetValueOrDefault(key))
                {
                    case HashSet<TValue> several:
                        foreach (var value in several)
                        {
                            found(value);
                        }

                        break;
                    case TValue one:
                        found(one);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="to"/> was made from <paramref name="from"/>, with <paramref name="added"/> (objects, each put by
    /// <paramref name="put"/>) new or changed and <paramref name="removed"/> objects gone: followed from then on, when
    /// <paramref name="from"/> was.
    /// </summary>
    public void Advance<TObject>(long from, long to, IReadOnlyCollection<TObject> added, int removed, Action<TObject, Action<TKey, TValue>> put)
    {
        lock (_gate)
        {
            if (_map is null || _follows != from)
            {
                return;
            }

            var map = _map;
            foreach (var obj in added)
            {
                put(obj, (key, value) => Put(map, key, value));
            }

            _follows = to;
            _changedSince += added.Count + removed;
            if (_changedSince > (2 * _madeFrom) + 1024)
            {
                _map = null;
            }
        }
    }

    /// <summary>Whether it follows <paramref name="follower"/> (tests).</summary>
    internal bool Follows(long follower)
    {
        lock (_gate)
        {
            return _map is not null && _follows == follower;
        }
    }

    private void Put(Dictionary<TKey, object> map, TKey key, TValue value)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out var exists);
        if (!exists)
        {
            slot = value;
        }
        else if (slot is HashSet<TValue> several)
        {
            several.Add(value);
        }
        else if (!(values ?? EqualityComparer<TValue>.Default).Equals((TValue)slot!, value))
        {
            slot = new HashSet<TValue>(values) { (TValue)slot!, value };
        }
    }
}
