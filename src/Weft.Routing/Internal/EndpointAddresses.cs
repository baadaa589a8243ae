using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// The endpoints at each address, for traffic to a pod IP (gamma-spec A7): of the slices holding it, by namespace/name as
/// each Service's slices are (a slice's own endpoints in their order). Immutable. <see cref="With"/> gives the next
/// snapshot's from the changed slices: a base shared by the maps made from one another and a small layer of the
/// addresses changed since it was made, folded into a new base once it holds more than the square root of twice the base
/// (issue 18: every index that a pod-IP destination read made the map of all 500,000 endpoints again at 50k).
/// </summary>
internal sealed class EndpointAddresses
{
    private static readonly List<(EndpointSlice Slice, Endpoint Endpoint)> None = [];

    private readonly Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> _base;

    // The addresses changed since the base was made, and their endpoints (an empty list for none).
    private readonly Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> _layer;

    private EndpointAddresses(Dictionary<string, List<(EndpointSlice, Endpoint)>> @base, Dictionary<string, List<(EndpointSlice, Endpoint)>> layer)
    {
        _base = @base;
        _layer = layer;
    }

    public static EndpointAddresses Of(IReadOnlyList<EndpointSlice> slices)
    {
        var byAddress = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var slice in slices)
        {
            Add(byAddress, slice, copied: null, from: null);
        }

        foreach (var eps in byAddress.Values)
        {
            SortBySlice(eps);
        }

        return new EndpointAddresses(byAddress, new(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>How many addresses the layer over the base holds (tests).</summary>
    internal int Layered => _layer.Count;

    public IReadOnlyList<(EndpointSlice Slice, Endpoint Endpoint)> At(string address) =>
        _layer.TryGetValue(address, out var eps) || _base.TryGetValue(address, out eps) ? eps : None;

    /// <summary>This map with the <paramref name="gone"/> slices' endpoints taken out and the <paramref name="added"/> ones' put in (a slice moved in the list is in both).</summary>
    public EndpointAddresses With(IReadOnlyList<EndpointSlice> gone, IReadOnlyList<EndpointSlice> added)
    {
        var layer = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>>(_layer, StringComparer.OrdinalIgnoreCase);
        var copied = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var goneSet = new HashSet<EndpointSlice>(gone, ReferenceEqualityComparer.Instance);
        foreach (var slice in gone)
        {
            foreach (var ep in slice.Endpoints)
            {
                foreach (var address in ep.Addresses)
                {
                    if (copied.Add(address))
                    {
                        layer[address] = [.. At(address).Where(e => !goneSet.Contains(e.Slice))];
                    }
                }
            }
        }

        foreach (var slice in added)
        {
            Add(layer, slice, copied, from: this);
        }

        foreach (var address in copied)
        {
            SortBySlice(layer[address]);
        }

        if (layer.Count <= Math.Max(64, Math.Sqrt(2.0 * _base.Count)))
        {
            return new EndpointAddresses(_base, layer);
        }

        // The layer has grown: a new base with it folded in.
        var folded = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>>(_base, StringComparer.OrdinalIgnoreCase);
        foreach (var (address, eps) in layer)
        {
            if (eps.Count == 0)
            {
                folded.Remove(address);
            }
            else
            {
                folded[address] = eps;
            }
        }

        return new EndpointAddresses(folded, new(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Adds <paramref name="slice"/>'s endpoints (of a slice that names its Service) to <paramref name="map"/>; with
    /// <paramref name="copied"/>, into a copy of <paramref name="from"/>'s list of each address, made once.
    /// </summary>
    private static void Add(Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> map, EndpointSlice slice, HashSet<string>? copied, EndpointAddresses? from)
    {
        if (slice.ServiceName is null)
        {
            return;
        }

        foreach (var ep in slice.Endpoints)
        {
            foreach (var address in ep.Addresses)
            {
                if (copied?.Add(address) == true)
                {
                    map[address] = [.. from!.At(address)];
                }

                if (!map.TryGetValue(address, out var eps))
                {
                    map[address] = eps = [];
                }

                eps.Add((slice, ep));
            }
        }
    }

    /// <summary>By the slice's namespace/name, stably: one slice's endpoints keep their order.</summary>
    private static void SortBySlice(List<(EndpointSlice Slice, Endpoint Endpoint)> eps)
    {
        for (var i = 1; i < eps.Count; i++)
        {
            var entry = eps[i];
            var j = i - 1;
            for (; j >= 0 && string.CompareOrdinal(eps[j].Slice.Key, entry.Slice.Key) > 0; j--)
            {
                eps[j + 1] = eps[j];
            }

            eps[j + 1] = entry;
        }
    }
}
