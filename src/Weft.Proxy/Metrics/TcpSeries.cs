namespace Weft.Proxy.Metrics;

/// <summary>
/// The counts of one L4 connection series (TCPRoute, TLSRoute, opaque TCP): connections opened and closed, and bytes
/// read from the side that opened them and written back to it, added as they are copied (a long connection shows its
/// traffic before it ends).
/// </summary>
internal sealed class TcpSeries
{
    public long Opened;
    public long Closed;
    public long Read;
    public long Written;

    public void AddRead(long bytes) => Interlocked.Add(ref Read, bytes);

    public void AddWritten(long bytes) => Interlocked.Add(ref Written, bytes);

    public void Close() => Interlocked.Increment(ref Closed);
}
