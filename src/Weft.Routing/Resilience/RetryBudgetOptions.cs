namespace Weft.Routing.Resilience;

/// <summary>Linkerd's retry budget defaults: retries may add 20% to the request rate, plus 10 retries a second, over 10 s.</summary>
public sealed record RetryBudgetOptions
{
    public static readonly RetryBudgetOptions Default = new();

    /// <summary>Retries allowed per request in the window.</summary>
    public double RetryRatio { get; init; } = 0.2;

    /// <summary>Retries always allowed per second of the window, so that a quiet destination can still retry.</summary>
    public double MinRetriesPerSecond { get; init; } = 10;

    /// <summary>How far back requests and retries count.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The window's resolution: it slides by Window / Buckets.</summary>
    public int Buckets { get; init; } = 10;

    /// <summary>
    /// A GEP-3388 budget as these options: "percent of all requests may be retries" bounds retries by
    /// percent / (100 − percent) of the original requests over the interval (100 % lets every request retry), and the
    /// minimum retry rate is the floor.
    /// </summary>
    public static RetryBudgetOptions From(Policy.RetryBudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new RetryBudgetOptions
        {
            RetryRatio = policy.Percent >= 100 ? double.MaxValue / 1e6 : policy.Percent / (100.0 - policy.Percent),
            MinRetriesPerSecond = policy.MinRetryCount / policy.MinRetryInterval.TotalSeconds,
            Window = policy.Interval,
        };
    }
}
