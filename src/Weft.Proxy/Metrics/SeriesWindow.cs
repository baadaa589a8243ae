namespace Weft.Proxy.Metrics;

/// <summary>
/// One series' last minute, for <c>weft stat</c>: 10-second slots, each holding the series' counts in its period (a
/// request series: requests by status class and by latency bucket, <see cref="ForRequests"/>; an L4 connection series:
/// connections opened and bytes read and written, <see cref="ForConnections"/>); six whole ones, the current, partial
/// one, and a spare that the next period takes without touching a slot a reader may still be summing. A slot belongs to
/// one 10-second period (its epoch, from the monotonic clock); a count in a new period swaps a fresh slot in with one
/// compare-and-swap (one allocation per series per 10 seconds), and a reader sums the slots whose epochs fall in the
/// window it asks for. Recording takes no lock.
/// </summary>
internal sealed class SeriesWindow
{
    /// <summary>The length of one slot.</summary>
    public static readonly TimeSpan SlotLength = TimeSpan.FromSeconds(10);

    /// <summary>The most whole slots a window sums (the current, partial one is added to them).</summary>
    public const int MaxWholeSlots = 6;

    /// <summary>How many slots are kept: <see cref="MaxWholeSlots"/>, the current one, and the spare.</summary>
    public const int SlotCount = MaxWholeSlots + 2;

    /// <summary>An L4 connection series' counts: connections opened, bytes read, bytes written (the indexes of <see cref="Sum"/>'s sums).</summary>
    public const int OpenedIndex = 0, ReadIndex = 1, WrittenIndex = 2, ConnectionCounts = 3;

    private readonly Slot?[] _slots = new Slot?[SlotCount];
    private readonly int _counts;

    private SeriesWindow(int counts) => _counts = counts;

    /// <summary>The longest window served.</summary>
    public static TimeSpan MaxWindow => SlotLength * MaxWholeSlots;

    /// <summary>How many counts a request series' slot holds: one per status class, then one per latency bucket.</summary>
    public static int RequestCounts => ProxyMetrics.StatusClassCount + ProxyMetrics.Bounds.Length + 1;

    /// <summary>A request series' window: <see cref="Record"/> counts a request.</summary>
    public static SeriesWindow ForRequests() => new(RequestCounts);

    /// <summary>An L4 connection series' window: <see cref="Add"/> at <see cref="OpenedIndex"/>, <see cref="ReadIndex"/>, <see cref="WrittenIndex"/>.</summary>
    public static SeriesWindow ForConnections() => new(ConnectionCounts);

    /// <summary>The slot number of a monotonic timestamp.</summary>
    public static long EpochOf(long timestamp, long frequency) => timestamp / (frequency * (long)SlotLength.TotalSeconds);

    /// <summary>A request in <paramref name="epoch"/>'s period: its status class and its latency bucket counted.</summary>
    public void Record(long epoch, int statusClass, int bucket)
    {
        if (CountsOf(epoch) is { } counts)
        {
            Interlocked.Increment(ref counts[statusClass]);
            Interlocked.Increment(ref counts[ProxyMetrics.StatusClassCount + bucket]);
        }
    }

    /// <summary><paramref name="by"/> added to count <paramref name="index"/> of <paramref name="epoch"/>'s period.</summary>
    public void Add(long epoch, int index, long by)
    {
        if (CountsOf(epoch) is { } counts)
        {
            Interlocked.Add(ref counts[index], by);
        }
    }

    /// <summary>
    /// Adds the counts of the slots from epoch <paramref name="current"/> − <paramref name="slots"/> + 1 through
    /// <paramref name="current"/> to <paramref name="sums"/> (as many as a slot holds: a request series' status classes,
    /// then its buckets).
    /// </summary>
    /// <returns>Whether any slot in the window counted anything.</returns>
    public bool Sum(long current, int slots, long[] sums)
    {
        var any = false;
        for (var index = 0; index < _slots.Length; index++)
        {
            var s = Volatile.Read(ref _slots[index]);
            if (s is null || s.Epoch > current || s.Epoch <= current - slots)
            {
                continue;
            }

            for (var i = 0; i < s.Counts.Length; i++)
            {
                var n = Volatile.Read(ref s.Counts[i]);
                sums[i] += n;
                any |= n > 0;
            }
        }

        return any;
    }

    /// <summary>The counts of <paramref name="epoch"/>'s slot, swapped in if its place holds an older period's; null when a later period has taken it (a count made just as its slot was reused: left out of the window).</summary>
    private long[]? CountsOf(long epoch)
    {
        var index = (int)(epoch % SlotCount);
        while (true)
        {
            var slot = Volatile.Read(ref _slots[index]);
            if (slot is not null && slot.Epoch >= epoch)
            {
                return slot.Epoch == epoch ? slot.Counts : null;
            }

            var fresh = new Slot(epoch, new long[_counts]);
            if (Interlocked.CompareExchange(ref _slots[index], fresh, slot) == slot)
            {
                return fresh.Counts;
            }
        }
    }

    private sealed class Slot(long epoch, long[] counts)
    {
        public readonly long Epoch = epoch;
        public readonly long[] Counts = counts;
    }
}
