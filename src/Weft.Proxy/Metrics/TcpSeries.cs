namespace Weft.Proxy.Metrics;

/// <summary>
/// The counts of one L4 connection series (TCPRoute, TLSRoute, opaque TCP): connections opened and closed, and bytes
/// read from the side that opened them and written back to it, added as they are copied (a long connection shows its
/// traffic before it ends); and the same over the last minute (<see cref="Window"/>), for <c>weft stat</c>.
/// </summary>
/// <param name="time">The clock of the window's slots (its monotonic timestamps).</param>
internal sealed class TcpSeries(TimeProvider time)
{
    public long Opened;
    public long Closed;
    public long Read;
    public long Written;

    /// <summary>The last minute's connections opened and bytes, in 10-second slots.</summary>
    public SeriesWindow Window { get; } = SeriesWindow.ForConnections();

    public void Open()
    {
        Interlocked.Increment(ref Opened);
        Window.Add(Epoch(), SeriesWindow.OpenedIndex, 1);
    }

    public void AddRead(long bytes)
    {
        Interlocked.Add(ref Read, bytes);
        Window.Add(Epoch(), SeriesWindow.ReadIndex, bytes);
    }

    public void AddWritten(long bytes)
    {
        Interlocked.Add(ref Written, bytes);
        Window.Add(Epoch(), SeriesWindow.WrittenIndex, bytes);
    }

    public void Close() => Interlocked.Increment(ref Closed);

    private long Epoch() => SeriesWindow.EpochOf(time.GetTimestamp(), time.TimestampFrequency);
}
