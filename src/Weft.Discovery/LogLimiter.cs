namespace Weft.Discovery;

/// <summary>
/// Lets one log line through per interval and counts the ones held back, so a flood of bad connections writes a line
/// every interval saying how many there were, never a line each (sidecar listeners and handshakes, the discovery client's
/// refused subscriptions, the control plane's refused calls).
/// </summary>
internal sealed class LogLimiter(TimeSpan interval, TimeProvider time)
{
    private long _next;
    private long _suppressed;

    /// <summary>True when a line may be written now; <paramref name="suppressed"/>: how many were held back since the last.</summary>
    public bool TryTake(out long suppressed)
    {
        var now = time.GetTimestamp();
        var next = Interlocked.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + (long)(interval.TotalSeconds * time.TimestampFrequency), next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
