namespace Weft.Discovery.Internal;

/// <summary>
/// The delays between a stream's attempts, as every discovery stream of a sidecar waits them (its watches and its
/// Reports stream): exponential from the client's <see cref="DiscoveryClient.InitialBackoff"/> up to its
/// <see cref="DiscoveryClient.MaxBackoff"/>, each with equal jitter, so that sidecars do not all return at once.
/// </summary>
internal sealed class Backoff(DiscoveryClient settings)
{
    private TimeSpan _next = settings.InitialBackoff;

    /// <summary>The stream worked: the next delay starts from the initial one again.</summary>
    public void Reset() => _next = settings.InitialBackoff;

    /// <summary>The delay to wait now (half the current step to the whole of it); the step doubles.</summary>
    public TimeSpan Next()
    {
        var delay = _next * (0.5 + (Random.Shared.NextDouble() * 0.5));
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, settings.MaxBackoff.Ticks));
        return delay;
    }
}
