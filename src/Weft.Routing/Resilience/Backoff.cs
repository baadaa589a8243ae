namespace Weft.Routing.Resilience;

/// <summary>
/// The wait before a retry (GEP-1731 <c>backoff</c>): exponential with full jitter, never shorter than the configured
/// minimum, capped. Retry n (1-based) waits a uniformly random time in [min, min(min·2ⁿ, cap)].
/// </summary>
public static class Backoff
{
    /// <summary>The minimum when the route leaves <c>backoff</c> unset (Envoy's default base interval).</summary>
    public static readonly TimeSpan DefaultMinimum = TimeSpan.FromMilliseconds(25);

    /// <summary>The cap is this many times the minimum unless given.</summary>
    public const int DefaultCapFactor = 10;

    /// <param name="minimum">The route's <c>backoff</c>; null uses <see cref="DefaultMinimum"/>.</param>
    /// <param name="retry">Which retry this is: 1 for the first retry.</param>
    /// <param name="random01">A uniform random number in [0, 1).</param>
    /// <param name="cap">The longest wait; null is <see cref="DefaultCapFactor"/> × the minimum. Never below the minimum.</param>
    public static TimeSpan Delay(TimeSpan? minimum, int retry, double random01, TimeSpan? cap = null)
    {
        var min = minimum is { } m && m > TimeSpan.Zero ? m : DefaultMinimum;
        var max = cap ?? min * DefaultCapFactor;
        if (max < min)
        {
            max = min;
        }

        // min·2ⁿ without overflow: stop doubling once past the cap.
        var ceiling = min;
        for (var i = 0; i < Math.Max(1, retry) && ceiling < max; i++)
        {
            ceiling += ceiling;
        }

        if (ceiling > max)
        {
            ceiling = max;
        }

        var jitter = Math.Clamp(random01, 0, 1);
        return min + TimeSpan.FromTicks((long)((ceiling - min).Ticks * jitter));
    }
}
