using System.Collections.Concurrent;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The series of one metric family, at most <see cref="Limit"/> of them: a label set seen when the family is full is
/// counted in one overflow series instead (every label "overflow"), and <see cref="Folded"/> counts the observations so
/// folded. Label values come from policies, pods and identities, so a sidecar's series follow what it talks to; the
/// limit is the backstop when that is a lot. A known series costs one lookup and no lock; the count is kept apart
/// (<see cref="ConcurrentDictionary{TKey, TValue}.Count"/> takes every lock).
/// </summary>
internal sealed class BoundedSeries<TKey, TValue>(int limit, TKey overflowKey, Func<TValue> create)
    where TKey : notnull
    where TValue : class
{
    private readonly ConcurrentDictionary<TKey, TValue> _series = new();
    private int _count;
    private long _folded;

    public int Limit => limit;

    /// <summary>Observations counted in the overflow series because the family was full.</summary>
    public long Folded => Interlocked.Read(ref _folded);

    /// <summary>The series of <paramref name="key"/>, made if there is room, else the overflow series.</summary>
    public TValue For(in TKey key) => _series.TryGetValue(key, out var known) ? known : Add(key);

    /// <summary>The series, the overflow one (if used) among them, for a scrape.</summary>
    public KeyValuePair<TKey, TValue>[] Snapshot() => _series.ToArray();

    private TValue Add(TKey key)
    {
        if (Volatile.Read(ref _count) >= limit)
        {
            Interlocked.Increment(ref _folded);
            return _series.GetOrAdd(overflowKey, static (_, make) => make(), create);
        }

        var made = create();
        var series = _series.GetOrAdd(key, made);
        if (ReferenceEquals(series, made))
        {
            Interlocked.Increment(ref _count); // racing adds may pass the limit by the number of threads, no more
        }

        return series;
    }
}
