using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// Which Services' EndpointSlices refer to each pod, by an endpoint's targetRef (namespace and name) and by an endpoint's
/// address, which are all the ways an endpoint reads a pod (its identity, workload and named port): the Services a pod
/// created, changed or deleted moves the endpoints of, found without looking at every slice and endpoint (at 50,000
/// Services, 500,000 endpoints for each pod). Shared by the indexes made from one another
/// (<see cref="FollowedMultimap{TKey, TValue}"/>): a Service found here may no longer refer to the pod, and then only
/// resolves its endpoints again.
/// </summary>
internal sealed class SliceReferences
{
    // By (false, namespace, name) for a pod an endpoint names, (true, address, "") for an address.
    private readonly FollowedMultimap<(bool Address, string A, string B), string> _services = new(values: StringComparer.Ordinal);

    /// <summary>
    /// Adds to <paramref name="services"/> every Service whose slices among <paramref name="slices"/> (those of the index of
    /// generation <paramref name="generation"/>) may refer to one of <paramref name="pods"/>.
    /// </summary>
    public void AddServicesOf(long generation, IReadOnlyList<EndpointSlice> slices, PodChanges pods, HashSet<string> services)
    {
        IEnumerable<(bool, string, string)> keys = [.. pods.Names.Select(n => (false, n.Namespace, n.Name)), .. pods.Addresses.Select(a => (true, a.ToLowerInvariant(), ""))];
        _services.Read(
            generation, slices, slices.Count, static (all, put) =>
            {
                foreach (var slice in all)
                {
                    Put(slice, put);
                }
            },
            keys, service => services.Add(service));
    }

    /// <summary>The index of generation <paramref name="to"/> was made from that of <paramref name="from"/>, with <paramref name="added"/> slices new or changed and <paramref name="removed"/> gone.</summary>
    public void Advance(long from, long to, IReadOnlyCollection<EndpointSlice> added, int removed) =>
        _services.Advance(from, to, added, removed, Put);

    private static void Put(EndpointSlice slice, Action<(bool, string, string), string> put)
    {
        if (slice.ServiceKey is not { } service)
        {
            return;
        }

        foreach (var ep in slice.Endpoints)
        {
            // The pod it names (as its endpoints are resolved), and every address, compared as PodChanges keeps them.
            if (MeshIndex.PodNamedBy(slice, ep) is { } pod)
            {
                put((false, pod.Namespace, pod.Name), service);
            }

            foreach (var address in ep.Addresses)
            {
                put((true, address.ToLowerInvariant(), ""), service);
            }
        }
    }
}
