using Weft.Routing.Policy;

namespace Weft.Routing.Filters;

/// <summary>Weighted backend choice (gamma-spec F2, F4).</summary>
public static class WeightedPicker
{
    /// <summary>
    /// The index of the backend that <paramref name="random01"/> (uniform in [0, 1), supplied by the caller) falls on, each
    /// backend owning weight / sum of weights. Invalid backends keep their share: the caller answers 500 / UNAVAILABLE /
    /// a rejected connection for them (F4). Returns -1 when there is nothing to pick (no backends, or all weights 0).
    /// </summary>
    public static int Pick(IReadOnlyList<BackendPolicy> backends, double random01)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var total = Total(backends);
        if (total == 0)
        {
            return -1;
        }

        var target = (long)(Math.Clamp(random01, 0.0, 1.0) * total);
        if (target >= total)
        {
            target = total - 1;
        }

        long cumulative = 0;
        for (var i = 0; i < backends.Count; i++)
        {
            var w = backends[i].Weight;
            if (w <= 0)
            {
                continue;
            }

            cumulative += w;
            if (target < cumulative)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Backend <paramref name="index"/>'s share of the traffic, 0..1 (weight / sum of weights; 0 when all weigh 0).</summary>
    public static double Share(IReadOnlyList<BackendPolicy> backends, int index)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var total = Total(backends);
        return total == 0 ? 0 : Math.Max(0, backends[index].Weight) / (double)total;
    }

    /// <summary>
    /// A draw for <see cref="Pick"/> in the middle of backend <paramref name="index"/>'s share, so that a planner run with
    /// it decides what that share of the traffic gets (<c>weft explain</c>); null for a backend without weight.
    /// </summary>
    public static double? DrawWithin(IReadOnlyList<BackendPolicy> backends, int index)
    {
        ArgumentNullException.ThrowIfNull(backends);
        if (backends[index].Weight <= 0)
        {
            return null;
        }

        long before = 0;
        for (var i = 0; i < index; i++)
        {
            before += Math.Max(0, backends[i].Weight);
        }

        return (before + (backends[index].Weight / 2.0)) / Total(backends);
    }

    private static long Total(IReadOnlyList<BackendPolicy> backends)
    {
        long total = 0;
        for (var i = 0; i < backends.Count; i++)
        {
            total += Math.Max(0, backends[i].Weight);
        }

        return total;
    }
}
