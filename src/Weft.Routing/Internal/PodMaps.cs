using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// The pods as an index looks them up: by (namespace, name), the last of a name in the snapshot's list, and by address,
/// the first pod of the list that holds it. Immutable. <see cref="With"/> gives the next snapshot's without a look at
/// every pod: a base shared by the maps made from one another and a small layer of the names and addresses changed since
/// it was made, copied by each change and folded into a new base once it holds more than the square root of twice the
/// base's entries, so that the copies and the folds cost about the same per change (issue 18: a pod created or deleted
/// at 500,000 pods copied both maps whole; now some thousand entries).
/// </summary>
internal sealed class PodMaps
{
    private readonly Dictionary<(string Namespace, string Name), Pod> _byName;
    private readonly Dictionary<string, Pod> _byAddress;

    // What changed since the base was made: a pod, or null for none.
    private readonly Dictionary<(string Namespace, string Name), Pod?> _nameLayer;
    private readonly Dictionary<string, Pod?> _addressLayer;

    // How many pods hold each address that two or more hold (host-network pods share their node's): only for such an
    // address does With look at every pod. Small; copied when it changes.
    private readonly Dictionary<string, int> _shared;

    private PodMaps(
        Dictionary<(string, string), Pod> byName, Dictionary<string, Pod> byAddress,
        Dictionary<(string, string), Pod?> nameLayer, Dictionary<string, Pod?> addressLayer, Dictionary<string, int> shared)
    {
        _byName = byName;
        _byAddress = byAddress;
        _nameLayer = nameLayer;
        _addressLayer = addressLayer;
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

        return new PodMaps(byName, byAddress, [], new(StringComparer.OrdinalIgnoreCase), shared);
    }

    /// <summary>How many names and addresses the layer over the base holds (tests).</summary>
    internal int Layered => _nameLayer.Count + _addressLayer.Count;

    public Pod? ByName(string ns, string name) =>
        _nameLayer.TryGetValue((ns, name), out var pod) ? pod : _byName.GetValueOrDefault((ns, name));

    public Pod? ByAddress(string address) =>
        _addressLayer.TryGetValue(address, out var pod) ? pod : _byAddress.GetValueOrDefault(address);

    /// <summary>
    /// These maps of a snapshot whose pods differ from theirs by <paramref name="gone"/> and <paramref name="added"/> (by
    /// instance, each list in the order of its snapshot; a pod moved in the list is in both), <paramref name="all"/> the
    /// newer snapshot's pods. A snapshot must name each pod once (the store's do): by name, a changed name's pod is then
    /// the added one or none, without a look for another of the name. Only an address that a kept pod holds with a changed
    /// one is looked for in <paramref name="all"/>.
    /// </summary>
    public PodMaps With(IReadOnlyList<Pod> gone, IReadOnlyList<Pod> added, IReadOnlyList<Pod> all)
    {
        var nameLayer = new Dictionary<(string, string), Pod?>(_nameLayer);
        var addressLayer = new Dictionary<string, Pod?>(_addressLayer, StringComparer.OrdinalIgnoreCase);
        var shared = _shared;

        // By name: a snapshot names a pod once, so a changed name's pod is the added one, or none.
        foreach (var pod in gone)
        {
            if (pod.Namespace is { } ns)
            {
                nameLayer[(ns, pod.Name)] = null;
            }
        }

        foreach (var pod in added)
        {
            if (pod.Namespace is { } ns)
            {
                nameLayer[(ns, pod.Name)] = pod;
            }
        }

        // By address: the first pod of the list that holds it.
        var search = AddressClaims.Update(
            gone, added, static pod => string.IsNullOrEmpty(pod.PodIP) ? [] : [pod.PodIP], address => ByAddress(address) is not null,
            ref shared, (address, pod) => addressLayer[address] = pod);
        if (search is not null)
        {
            foreach (var pod in all)
            {
                if (!string.IsNullOrEmpty(pod.PodIP) && search.Remove(pod.PodIP))
                {
                    addressLayer[pod.PodIP] = pod;
                    if (search.Count == 0)
                    {
                        break;
                    }
                }
            }
        }

        if (nameLayer.Count + addressLayer.Count <= Math.Max(64, Math.Sqrt(2.0 * (_byName.Count + _byAddress.Count))))
        {
            return new PodMaps(_byName, _byAddress, nameLayer, addressLayer, shared);
        }

        // The layer has grown: a new base with it folded in.
        var byName = new Dictionary<(string, string), Pod>(_byName);
        foreach (var (key, pod) in nameLayer)
        {
            if (pod is null)
            {
                byName.Remove(key);
            }
            else
            {
                byName[key] = pod;
            }
        }

        var byAddress = new Dictionary<string, Pod>(_byAddress, StringComparer.OrdinalIgnoreCase);
        foreach (var (address, pod) in addressLayer)
        {
            if (pod is null)
            {
                byAddress.Remove(address);
            }
            else
            {
                byAddress[address] = pod;
            }
        }

        return new PodMaps(byName, byAddress, [], new(StringComparer.OrdinalIgnoreCase), shared);
    }
}
