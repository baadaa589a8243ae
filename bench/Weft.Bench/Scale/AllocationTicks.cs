using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Weft.Bench.Scale;

/// <summary>
/// The runtime's allocation samples (GC AllocationTick: one event per ~100 KB allocated, naming the type that crossed
/// the mark), summed by type: where a process's garbage comes from, without a tracing tool.
/// </summary>
internal sealed class AllocationTicks : EventListener
{
    /// <summary>What the name of a type allocated on the large-object heap starts with (its budget starts gen2 collections).</summary>
    public const string Large = "(large) ";

    private readonly ConcurrentDictionary<string, long> _bytes = new();

    public IEnumerable<(string Type, long Bytes)> Top(int count) =>
        _bytes.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (kv.Key, kv.Value));

    public void Clear() => _bytes.Clear();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || e.PayloadNames is null)
        {
            return;
        }

        var large = Convert.ToInt32(e.Payload![e.PayloadNames.IndexOf("AllocationKind")], System.Globalization.CultureInfo.InvariantCulture) == 1;
        var type = (large ? Large : "") + (e.Payload[e.PayloadNames.IndexOf("TypeName")] as string ?? "?");
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
