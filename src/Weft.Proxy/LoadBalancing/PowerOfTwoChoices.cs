using System.Collections.Concurrent;
using Weft.Routing.Policy;

namespace Weft.Proxy.LoadBalancing;

/// <summary>
/// Endpoint choice by power of two choices over outstanding requests (as YARP's PowerOfTwoChoicesLoadBalancingPolicy):
/// two distinct endpoints at random, the less loaded wins. Load is counted per proxy, keyed by address:port.
/// </summary>
internal sealed class PowerOfTwoChoices
{
    private readonly ConcurrentDictionary<(string Address, int Port), EndpointLoad> _loads = new();

    public EndpointLoad LoadOf(EndpointPolicy endpoint) => _loads.GetOrAdd((endpoint.Address, endpoint.Port), static _ => new EndpointLoad());

    /// <summary>Index into <paramref name="endpoints"/> (non-empty) of the endpoint to use.</summary>
    public int Pick(IReadOnlyList<EndpointPolicy> endpoints, Random random)
    {
        var count = endpoints.Count;
        if (count <= 1)
        {
            return 0;
        }

        var first = random.Next(count);
        var second = random.Next(count - 1);
        if (second >= first)
        {
            second++; // distinct from first, uniformly
        }

        return LoadOf(endpoints[second]).Outstanding < LoadOf(endpoints[first]).Outstanding ? second : first;
    }
}
