using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// Which Services' EndpointSlices refer to each pod, by an endpoint's targetRef (namespace and name) and by an endpoint's
/// address, which are all the ways an endpoint reads a pod (its identity, workload and named port): the Services a pod
/// created, changed or deleted moves the endpoints of, found without looking at every slice and endpoint (at 50,000
/// Services, 500,000 endpoints for each pod), kept as slices come. Shared by the indexes of one lineage, it
/// follows one of them (its generation): made from that index's slices when first asked for, then given the slices each
/// index made from it adds. Only grown: a Service found here may no longer refer to the pod (it then only resolves its
/// endpoints again), and none that does is missing. Made again when it has grown past twice what it was made from, or
/// when an index it does not follow asks (an update of a model older than the newest, which the translator never makes).
/// </summary>
internal sealed class SliceReferences
{
    private readonly Lock _gate = new();

    // A Service key (string) while one Service refers to the pod or address, a HashSet<string> once several do.
    private Dictionary<(string Namespace, string Name), object>? _byPod;
    private Dictionary<string, object>? _byAddress;
    private long _follows = -1;
    private int _madeFrom;
    private int _addedSince;

    /// <summary>
    /// Adds to <paramref name="services"/> every Service whose slices may refer to one of <paramref name="pods"/>: those of
    /// the index of generation <paramref name="generation"/> (<paramref name="slices"/>, made from them unless it follows
    /// that index already) and <paramref name="added"/>.
    /// </summary>
    public void AddServicesOf(long generation, IReadOnlyList<EndpointSlice> slices, IReadOnlyList<EndpointSlice> added, PodChanges pods, HashSet<string> services)
    {
        lock (_gate)
        {
            if (_byPod is null || _byAddress is null || _follows != generation)
            {
                _byPod = [];
                _byAddress = new(StringComparer.OrdinalIgnoreCase);
                _follows = generation;
                _madeFrom = slices.Count;
                AddLocked(slices);
                _addedSince = 0;
            }

            AddLocked(added);
            foreach (var name in pods.Names)
            {
                AddTo(services, _byPod.GetValueOrDefault(name));
            }

            foreach (var address in pods.Addresses)
            {
                AddTo(services, _byAddress.GetValueOrDefault(address));
            }

            Trim();
        }
    }

    /// <summary>
    /// The index of generation <paramref name="to"/> was made from that of <paramref name="from"/> with
    /// <paramref name="added"/> slices: followed from then on, when the one before was.
    /// </summary>
    public void Advance(long from, long to, IReadOnlyList<EndpointSlice> added)
    {
        lock (_gate)
        {
            if (_byPod is not null && _follows == from)
            {
                AddLocked(added);
                _follows = to;
                Trim();
            }
        }
    }

    /// <summary>A cluster whose slices have come and gone many times over holds mostly what no slice refers to any more: made again when next asked.</summary>
    private void Trim()
    {
        if (_addedSince > (2 * _madeFrom) + 1024)
        {
            _byPod = null;
            _byAddress = null;
        }
    }

    private static void AddTo(HashSet<string> services, object? found)
    {
        switch (found)
        {
            case string service:
                services.Add(service);
                break;
            case HashSet<string> several:
                services.UnionWith(several);
                break;
        }
    }

    private void AddLocked(IReadOnlyList<EndpointSlice> slices)
    {
        _addedSince += slices.Count;
        foreach (var slice in slices)
        {
            if (slice.ServiceKey is not { } service)
            {
                continue;
            }

            foreach (var ep in slice.Endpoints)
            {
                // A targetRef of any kind (to be safe), and every address.
                if (ep.TargetRef is { Name: { } name } target)
                {
                    Put(_byPod!, (target.Namespace ?? slice.Namespace ?? "", name), service);
                }

                foreach (var address in ep.Addresses)
                {
                    Put(_byAddress!, address, service);
                }
            }
        }
    }

    private static void Put<TKey>(Dictionary<TKey, object> map, TKey key, string service)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var found))
        {
            map[key] = service;
        }
        else if (found is string one && !string.Equals(one, service, StringComparison.Ordinal))
        {
            map[key] = new HashSet<string>(StringComparer.Ordinal) { one, service };
        }
        else if (found is HashSet<string> several)
        {
            several.Add(service);
        }
    }
}
