using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// The endpoints at each address, for traffic to a pod IP (gamma-spec A7): of the slices holding it, by namespace/name as
/// each Service's slices are (a slice's own endpoints in their order). Immutable. <see cref="With"/> gives the next
/// snapshot's from the changed slices, a <see cref="LayeredMap{TKey, TValue}"/> of this one (issue 18: every index that
/// a pod-IP destination read made the map of all 500,000 endpoints again at 50k).
/// </summary>
internal sealed class EndpointAddresses
{
    private static readonly List<(EndpointSlice Slice, Endpoint Endpoint)> None = [];

    private readonly LayeredMap<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> _byAddress;

    private EndpointAddresses(LayeredMap<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> byAddress) => _byAddress = byAddress;

    public static EndpointAddresses Of(IReadOnlyList<EndpointSlice> slices)
    {
        var byAddress = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var slice in slices)
        {
            Add(slice, address => byAddress.TryGetValue(address, out var eps) ? eps : byAddress[address] = []);
        }

        foreach (var eps in byAddress.Values)
        {
            SortBySlice(eps);
        }

        return new EndpointAddresses(new(byAddress));
    }

    /// <summary>How many addresses the layer over the base holds (tests).</summary>
    internal int Layered => _byAddress.Layered;

    public IReadOnlyList<(EndpointSlice Slice, Endpoint Endpoint)> At(string address) => _byAddress[address] ?? None;

    /// <summary>This map with the <paramref name="gone"/> slices' endpoints taken out and the <paramref name="added"/> ones' put in (a slice moved in the list is in both).</summary>
    public EndpointAddresses With(IReadOnlyList<EndpointSlice> gone, IReadOnlyList<EndpointSlice> added)
    {
        // The new list of each address a gone or added slice holds, made from this map's once.
        var lists = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>>(StringComparer.OrdinalIgnoreCase);
        var goneSet = new HashSet<EndpointSlice>(gone, ReferenceEqualityComparer.Instance);
        foreach (var slice in gone)
        {
            foreach (var ep in slice.Endpoints)
            {
                foreach (var address in ep.Addresses)
                {
                    lists.TryAdd(address, [.. At(address).Where(e => !goneSet.Contains(e.Slice))]);
                }
            }
        }

        foreach (var slice in added)
        {
            Add(slice, address => lists.TryGetValue(address, out var eps) ? eps : lists[address] = [.. At(address)]);
        }

        var changes = new Dictionary<string, List<(EndpointSlice Slice, Endpoint Endpoint)>?>(lists.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (address, eps) in lists)
        {
            SortBySlice(eps);
            changes[address] = eps.Count == 0 ? null : eps;
        }

        return new EndpointAddresses(_byAddress.With(changes));
    }

    /// <summary>Adds <paramref name="slice"/>'s endpoints (of a slice that names its Service) to the list <paramref name="listAt"/> gives for each address.</summary>
    private static void Add(EndpointSlice slice, Func<string, List<(EndpointSlice Slice, Endpoint Endpoint)>> listAt)
    {
        if (slice.ServiceName is null)
        {
            return;
        }

        foreach (var ep in slice.Endpoints)
        {
            foreach (var address in ep.Addresses)
            {
                listAt(address).Add((slice, ep));
            }
        }
    }

    /// <summary>By the slice (<see cref="MeshIndex.ByKey"/>), stably: one slice's endpoints keep their order.</summary>
    private static void SortBySlice(List<(EndpointSlice Slice, Endpoint Endpoint)> eps)
    {
        for (var i = 1; i < eps.Count; i++)
        {
            var entry = eps[i];
            var j = i - 1;
            for (; j >= 0 && MeshIndex.ByKey(eps[j].Slice, entry.Slice) > 0; j--)
            {
                eps[j + 1] = eps[j];
            }

            eps[j + 1] = entry;
        }
    }
}
