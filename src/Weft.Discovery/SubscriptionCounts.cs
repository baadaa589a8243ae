namespace Weft.Discovery;

/// <summary>What a <see cref="DiscoveryClient"/> holds and has refused, for the proxy's metrics (issue 15).</summary>
/// <param name="Open">Destination subscriptions open (each one stream to the control plane), including those still waiting for a first answer.</param>
/// <param name="Limit">The most it may hold (<see cref="DiscoveryClient.MaxSubscriptions"/>).</param>
/// <param name="NotFoundCached">Destinations the control plane said are not in the mesh, remembered without a stream until they expire.</param>
/// <param name="Refused">Look-ups of a new destination refused since start because <paramref name="Limit"/> was reached (the proxy looks a request's destination up once, so this is also the requests and connections refused).</param>
/// <param name="NotFoundEvicted">Not-found entries dropped before their expiry because the cache was full.</param>
/// <param name="IdleClosed">Subscriptions closed since start because nothing used them for <see cref="DiscoveryClient.IdleTimeout"/>.</param>
public readonly record struct SubscriptionCounts(int Open, int Limit, int NotFoundCached, long Refused, long NotFoundEvicted, long IdleClosed);
