namespace Weft.Proxy.Metrics;

/// <summary>
/// One request series' last minute, for <c>weft stat</c>: 10-second slots, each counting requests by status class and by
/// latency bucket; six whole ones, the current, partial one, and a spare that the next period takes without touching a
/// slot a reader may still be summing. A slot belongs to one 10-second period (its epoch, from the monotonic clock); a
/// request in a new period swaps a fresh slot in with one compare-and-swap (one allocation per series per 10 seconds),
/// and a reader sums the slots whose epochs fall in the window it asks for. Recording takes no lock.
/// </summary>
internal sealed class RequestWindow
{
    /// <summary>The length of one slot.</summary>
    public static readonly TimeSpan SlotLength = TimeSpan.FromSeconds(10);

    /// <summary>The most whole slots a window sums (the current, partial one is added to them).</summary>
    public const int MaxWholeSlots = 6;

    /// <summary>How many slots are kept: <see cref="MaxWholeSlots"/>, the current one, and the spare.</summary>
    public const int SlotCount = MaxWholeSlots + 2;

    /// <summary>The longest window served.</summary>
    public static TimeSpan MaxWindow => SlotLength * MaxWholeSlots;

    private readonly Slot?[] _slots = new Slot?[SlotCount];

    /// <summary>The slot number of a monotonic timestamp.</summary>
    public static long EpochOf(long timestamp, long frequency) => timestamp / (frequency * (long)SlotLength.TotalSeconds);

    public void Record(long epoch, int statusClass, int bucket)
    {
        var index = (int)(epoch % SlotCount);
        while (true)
        {
            var slot = Volatile.Read(ref _slots[index]);
            if (slot is not null && slot.Epoch >= epoch)
            {
                if (slot.Epoch == epoch)
                {
                    Interlocked.Increment(ref slot.StatusCounts[statusClass]);
                    Interlocked.Increment(ref slot.Buckets[bucket]);
                }

                return; // a request finishing just as its slot was reused (a later period): left out of the window
            }

            var fresh = new Slot(epoch);
            if (Interlocked.CompareExchange(ref _slots[index], fresh, slot) == slot)
            {
                Interlocked.Increment(ref fresh.StatusCounts[statusClass]);
                Interlocked.Increment(ref fresh.Buckets[bucket]);
                return;
            }
        }
    }

    /// <summary>Adds the counts of the slots from epoch <paramref name="current"/> − <paramref name="slots"/> + 1 through <paramref name="current"/>.</summary>
    /// <returns>Whether any slot in the window counted anything.</returns>
    public bool Sum(long current, int slots, long[] statusCounts, long[] buckets)
    {
        var any = false;
        for (var index = 0; index < _slots.Length; index++)
        {
            var s = Volatile.Read(ref _slots[index]);
            if (s is null || s.Epoch > current || s.Epoch <= current - slots)
            {
                continue;
            }

            for (var i = 0; i < statusCounts.Length; i++)
            {
                var n = Volatile.Read(ref s.StatusCounts[i]);
                statusCounts[i] += n;
                any |= n > 0;
            }

            for (var i = 0; i < buckets.Length; i++)
            {
                buckets[i] += Volatile.Read(ref s.Buckets[i]);
            }
        }

        return any;
    }

    private sealed class Slot(long epoch)
    {
        public readonly long Epoch = epoch;
        public readonly long[] StatusCounts = new long[ProxyMetrics.StatusClassCount];
        public readonly long[] Buckets = new long[ProxyMetrics.Bounds.Length + 1];
    }
}
