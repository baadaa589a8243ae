using System.Text.Json;

namespace Weft.Proxy.Admin;

/// <summary>Request counters by listener and status class, lock-free (Prometheus metrics come later).</summary>
internal sealed class ProxyStats
{
    private readonly long[] _outbound = new long[6];
    private readonly long[] _inbound = new long[6];

    public void RecordOutbound(int status) => Interlocked.Increment(ref _outbound[ClassOf(status)]);

    public void RecordInbound(int status) => Interlocked.Increment(ref _inbound[ClassOf(status)]);

    public long Outbound(int statusClass) => Volatile.Read(ref _outbound[statusClass]);

    public long Inbound(int statusClass) => Volatile.Read(ref _inbound[statusClass]);

    /// <summary>Requests answered on both listeners, every status class.</summary>
    public long Total => Sum(_outbound) + Sum(_inbound);

    private static long Sum(long[] counts)
    {
        long total = 0;
        foreach (ref var n in counts.AsSpan())
        {
            total += Volatile.Read(ref n);
        }

        return total;
    }

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        Write(writer, "outbound", _outbound);
        Write(writer, "inbound", _inbound);
        writer.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter writer, string name, long[] counts)
    {
        writer.WriteStartObject(name);
        long total = 0;
        for (var c = 1; c <= 5; c++)
        {
            var n = Volatile.Read(ref counts[c]);
            total += n;
            writer.WriteNumber($"{c}xx", n);
        }

        writer.WriteNumber("other", Volatile.Read(ref counts[0]));
        writer.WriteNumber("total", total + Volatile.Read(ref counts[0]));
        writer.WriteEndObject();
    }

    private static int ClassOf(int status) => status is >= 100 and < 600 ? status / 100 : 0;
}
