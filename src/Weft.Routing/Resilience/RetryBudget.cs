namespace Weft.Routing.Resilience;

/// <summary>
/// A Linkerd-style retry budget for one destination: over a sliding window, a retry is allowed while
/// retries + 1 ≤ <see cref="RetryBudgetOptions.RetryRatio"/> × requests + <see cref="RetryBudgetOptions.MinRetriesPerSecond"/>
/// × window seconds. It stops retries from multiplying load during an outage (issue 5).
/// Lock-free: the window is a ring of buckets, each a small object replaced with a compare-and-swap when its time slot
/// comes round again; counts are interlocked increments. Time comes from the <see cref="TimeProvider"/>.
/// </summary>
public sealed class RetryBudget
{
    private readonly TimeProvider _time;
    private readonly Bucket?[] _buckets;
    private readonly long _bucketTicks;
    private readonly double _ratio;
    private readonly double _floor;

    public RetryBudget(TimeProvider time, RetryBudgetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        options ??= RetryBudgetOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Buckets, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Window, TimeSpan.Zero);
        _time = time;
        Options = options;
        _buckets = new Bucket?[options.Buckets];
        _bucketTicks = Math.Max(1, (long)(options.Window.TotalSeconds * time.TimestampFrequency / options.Buckets));
        _ratio = options.RetryRatio;
        _floor = options.MinRetriesPerSecond * options.Window.TotalSeconds;
    }

    public RetryBudgetOptions Options { get; }

    /// <summary>Counts an original request (not a retry). Call once per request the proxy forwards.</summary>
    public void RecordRequest() => Interlocked.Increment(ref Current().Requests);

    /// <summary>Takes a retry from the budget: true (and counted) when allowed, false when the budget is spent.</summary>
    public bool TryRetry()
    {
        var (requests, retries) = Totals();
        if (retries + 1 > (_ratio * requests) + _floor)
        {
            return false;
        }

        // Concurrent callers may overshoot by a few: the budget is a rate limit, not an exact count.
        Interlocked.Increment(ref Current().Retries);
        return true;
    }

    /// <summary>Requests and retries in the current window.</summary>
    public (long Requests, long Retries) Totals()
    {
        var now = _time.GetTimestamp() / _bucketTicks;
        long requests = 0, retries = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket is not null && now - bucket.Slot < _buckets.Length)
            {
                requests += Volatile.Read(ref bucket.Requests);
                retries += Volatile.Read(ref bucket.Retries);
            }
        }

        return (requests, retries);
    }

    private Bucket Current()
    {
        var slot = _time.GetTimestamp() / _bucketTicks;
        ref var cell = ref _buckets[(int)(slot % _buckets.Length)];
        while (true)
        {
            var bucket = Volatile.Read(ref cell);
            if (bucket is not null && bucket.Slot >= slot)
            {
                return bucket;
            }

            var fresh = new Bucket(slot);
            if (Interlocked.CompareExchange(ref cell, fresh, bucket) == bucket)
            {
                return fresh;
            }
        }
    }

    private sealed class Bucket(long slot)
    {
        public readonly long Slot = slot;
        public long Requests;
        public long Retries;
    }
}
