namespace Weft.Proxy.Metrics;

/// <summary>
/// One L4 connection series' last minute, for <c>weft stat</c>: the slots of <see cref="RequestWindow"/> (10 seconds, six
/// whole ones, the current one and a spare), each counting connections opened and bytes read and written in its period.
/// Bytes are added as they are copied, so a long connection's traffic falls in the periods it moved in. A count in a new
/// period swaps a fresh slot in with one compare-and-swap (one allocation per series per 10 seconds); recording takes no
/// lock.
/// </summary>
internal sealed class TcpWindow
{
    private readonly Slot?[] _slots = new Slot?[RequestWindow.SlotCount];

    public void AddOpened(long epoch) => Increment(epoch, Opened, 1);

    public void AddRead(long epoch, long bytes) => Increment(epoch, Read, bytes);

    public void AddWritten(long epoch, long bytes) => Increment(epoch, Written, bytes);

    /// <summary>
    /// Adds the counts of the slots from epoch <paramref name="current"/> − <paramref name="slots"/> + 1 through
    /// <paramref name="current"/> to <paramref name="sums"/> (connections opened, bytes read, bytes written).
    /// </summary>
    /// <returns>Whether any slot in the window counted anything.</returns>
    public bool Sum(long current, int slots, long[] sums)
    {
        var any = false;
        for (var index = 0; index < _slots.Length; index++)
        {
            var slot = Volatile.Read(ref _slots[index]);
            if (slot is null || slot.Epoch > current || slot.Epoch <= current - slots)
            {
                continue;
            }

            for (var i = 0; i < Counts; i++)
            {
                var n = Volatile.Read(ref slot.Counts[i]);
                sums[i] += n;
                any |= n > 0;
            }
        }

        return any;
    }

    /// <summary>The index of connections opened in <see cref="Sum"/>'s sums.</summary>
    public const int Opened = 0;

    /// <summary>The index of bytes read in <see cref="Sum"/>'s sums.</summary>
    public const int Read = 1;

    /// <summary>The index of bytes written in <see cref="Sum"/>'s sums.</summary>
    public const int Written = 2;

    /// <summary>How many counts a slot holds.</summary>
    public const int Counts = 3;

    private void Increment(long epoch, int count, long by)
    {
        var index = (int)(epoch % RequestWindow.SlotCount);
        while (true)
        {
            var slot = Volatile.Read(ref _slots[index]);
            if (slot is not null && slot.Epoch >= epoch)
            {
                if (slot.Epoch == epoch)
                {
                    Interlocked.Add(ref slot.Counts[count], by);
                }

                return; // counted just as its slot was reused (a later period): left out of the window
            }

            var fresh = new Slot(epoch);
            if (Interlocked.CompareExchange(ref _slots[index], fresh, slot) == slot)
            {
                Interlocked.Add(ref fresh.Counts[count], by);
                return;
            }
        }
    }

    private sealed class Slot(long epoch)
    {
        public readonly long Epoch = epoch;
        public readonly long[] Counts = new long[TcpWindow.Counts];
    }
}
