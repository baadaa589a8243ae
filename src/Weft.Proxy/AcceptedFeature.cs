using System.Diagnostics;

namespace Weft.Proxy;

/// <summary>When the connection was accepted (a <see cref="Stopwatch"/> timestamp): deadlines that start at accept count from it.</summary>
internal sealed class AcceptedFeature(long timestamp)
{
    public long Timestamp { get; } = timestamp;

    /// <summary>What is left of <paramref name="budget"/> counted from the accept (never negative).</summary>
    public TimeSpan Left(TimeSpan budget)
    {
        var left = budget - Stopwatch.GetElapsedTime(Timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
