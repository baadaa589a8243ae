using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// The pods as an index looks them up: by (namespace, name), the last of a name in the snapshot's list, and by address,
/// the first pod of the list that holds it. Immutable. <see cref="With"/> gives the next snapshot's without a look at
/// every pod, each map a <see cref="LayeredMap{TKey, TValue}"/> of the one before (issue 18: a pod created or deleted at
/// 500,000 pods copied both maps whole).
/// </summary>
internal sealed class PodMaps
{
    private readonly LayeredMap<(string Namespace, string Name), Pod> _byName;
    private readonly LayeredMap<string, Pod> _byAddress;

    // How many pods hold each address that two or more hold (host-network pods share their node's): only for such an
    // address does With look at every pod. Small; copied when it changes.
    private readonly Dictionary<string, int> _shared;

    private PodMaps(LayeredMap<(string, string), Pod> byName, LayeredMap<string, Pod> byAddress, Dictionary<string, int> shared)
    {
        _byName = byName;
        _byAddress = byAddress;
        _shared = shared;
    }

    public static PodMaps Of(IReadOnlyList<Pod> pods)
    {
        var byName = new Dictionary<(string, string), Pod>(pods.Count);
        var byAddress = new Dictionary<string, Pod>(pods.Count, StringComparer.OrdinalIgnoreCase);
        var shared = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var pod in pods)
        {
            if (pod.Namespace is { } ns)
            {
                byName[(ns, pod.Name)] = pod;
            }

            if (!string.IsNullOrEmpty(pod.PodIP))
            {
                AddressClaims.Add(byAddress, shared, pod.PodIP, pod);
            }
        }

        return new PodMaps(new(byName), new(byAddress), shared);
    }

    /// <summary>How many names and addresses the layers over the bases hold (tests).</summary>
    internal int Layered => _byName.Layered + _byAddress.Layered;

    public Pod? ByName(string ns, string name) => _byName[(ns, name)];

    public Pod? ByAddress(string address) => _byAddress[address];

    /// <summary>
    /// These maps of a snapshot whose pods differ from theirs by <paramref name="gone"/> and <paramref name="added"/> (by
    /// instance, each list in the order of its snapshot; a pod moved in the list is in both), <paramref name="all"/> the
    /// newer snapshot's pods. A snapshot must name each pod once (the store's do): by name, a changed name's pod is then
    /// the added one or none, without a look for another of the name. Only an address that a kept pod holds with a changed
    /// one is looked for in <paramref name="all"/>.
    /// </summary>
    public PodMaps With(IReadOnlyList<Pod> gone, IReadOnlyList<Pod> added, IReadOnlyList<Pod> all)
    {
        // By name: a snapshot names a pod once, so a changed name's pod is the added one, or none.
        var names = new Dictionary<(string, string), Pod?>();
        foreach (var pod in gone)
        {
            if (pod.Namespace is { } ns)
            {
                names[(ns, pod.Name)] = null;
            }
        }

        foreach (var pod in added)
        {
            if (pod.Namespace is { } ns)
            {
                names[(ns, pod.Name)] = pod;
            }
        }

        // By address: the first pod of the list that holds it.
        var addresses = new Dictionary<string, Pod?>(StringComparer.OrdinalIgnoreCase);
        var shared = _shared;
        var search = AddressClaims.Update(
            gone, added, static pod => string.IsNullOrEmpty(pod.PodIP) ? [] : [pod.PodIP], address => ByAddress(address) is not null,
            ref shared, (address, pod) => addresses[address] = pod);
        if (search is not null)
        {
            foreach (var pod in all)
            {
                if (!string.IsNullOrEmpty(pod.PodIP) && search.Remove(pod.PodIP))
                {
                    addresses[pod.PodIP] = pod;
                    if (search.Count == 0)
                    {
                        break;
                    }
                }
            }
        }

        return new PodMaps(_byName.With(names), _byAddress.With(addresses), shared);
    }
}
