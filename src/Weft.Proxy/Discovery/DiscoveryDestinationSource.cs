using Weft.Discovery;
using Weft.Routing.Policy;

namespace Weft.Proxy.Discovery;

/// <summary>Policy from the control plane (DESIGN decision 2), through a <see cref="DiscoveryClient"/> this source owns.</summary>
public sealed class DiscoveryDestinationSource(DiscoveryClient client) : IDestinationSource, IAsyncDisposable
{
    /// <summary>The client's subscriptions, not-found cache and refusals, for the proxy's metrics (issue 15).</summary>
    public SubscriptionCounts Counts => client.Counts;

    public async ValueTask<RouteTable?> GetAsync(string host, int port, CancellationToken ct)
    {
        // Null entry: the control plane has not answered yet. That is not "outside the mesh" (which would let a loopback
        // destination bypass its routes), so it is an error the caller turns into a 503. A new destination beyond the
        // client's subscription limit throws SubscriptionLimitException, a 503 too (counted in Counts).
        var entry = await client.GetAsync(host, port, ct) ?? throw new DestinationUnavailableException($"the control plane has not sent a policy for {host}:{port}");
        return entry.Table;
    }

    public async ValueTask<OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct)
    {
        // The NOT_FOUND answer GetAsync just had is remembered (NotFoundTtl): this is a cache hit but for a race with
        // its expiry or with the destination joining the mesh, which is a 503 as any look-up failure is.
        var entry = await client.GetAsync(host, port, ct) ?? throw new DestinationUnavailableException($"the control plane has not sent a policy for {host}:{port}");
        return entry.Outside ?? throw new DestinationUnavailableException($"{host}:{port} joined the mesh while it was looked up");
    }

    public IReadOnlyList<DestinationSnapshot> Snapshot() =>
        [.. client.Snapshot().Select(s => new DestinationSnapshot(s.Host, s.Port, s.Entry?.Version ?? 0, s.Entry?.Policy ?? s.Entry?.Table?.Policy)
        {
            Connected = s.Connected,
            RejectedVersion = s.RejectedVersion,
            RejectedError = s.RejectedError,
        })];

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
