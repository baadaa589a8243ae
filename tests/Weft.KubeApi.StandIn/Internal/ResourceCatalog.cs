using System.Collections.Immutable;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// The resources served now: the built-ins plus one per established CRD. Swapped as a whole when a CRD comes or
/// goes, so discovery and request routing read one consistent snapshot without a lock.
/// </summary>
internal sealed class ResourceCatalog
{
    private ImmutableDictionary<string, ResourceType> _byStorageKey;

    public ResourceCatalog()
    {
        _byStorageKey = BuiltInResources.All.ToImmutableDictionary(t => t.StorageKey, StringComparer.Ordinal);
    }

    public IEnumerable<ResourceType> All => Volatile.Read(ref _byStorageKey).Values;

    public ResourceType? ByStorageKey(string storageKey) =>
        Volatile.Read(ref _byStorageKey).GetValueOrDefault(storageKey);

    /// <summary>The resource served at <c>group/version/plural</c>, if that version is served.</summary>
    public ResourceType? Find(string group, string version, string plural) =>
        ByStorageKey(group + "/" + plural) is { } type && type.Versions.Contains(version) ? type : null;

    public void Register(ResourceType type) => ImmutableInterlocked.Update(ref _byStorageKey, d => d.SetItem(type.StorageKey, type));

    public void Unregister(string storageKey) => ImmutableInterlocked.Update(ref _byStorageKey, d => d.Remove(storageKey));

    /// <summary>Every served group with its versions, highest priority first; the core group ("") is not among them.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var groups = All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group, StringComparer.Ordinal).ToList();
        var builtIn = groups.Where(g => g.Any(t => !t.IsCustom)).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return
        [
            .. groups
                .Select(g => (g.Key, KubeVersionOrder.Sort(g.SelectMany(t => t.Versions))))
                .OrderBy(g => builtIn.Contains(g.Key) ? 0 : g.Key.EndsWith(".k8s.io", StringComparison.Ordinal) && !g.Key.Contains("x-k8s", StringComparison.Ordinal) ? 1 : 2)
                .ThenBy(g => g.Key, StringComparer.Ordinal),
        ];
    }

    public IEnumerable<ResourceType> InGroupVersion(string group, string version) =>
        All.Where(t => t.Group == group && t.Versions.Contains(version)).OrderBy(t => t.Plural, StringComparer.Ordinal);
}
