using Weft.Api.Model;

namespace Weft.ControlPlane.Objects;

/// <summary>
/// The objects the control plane knows, from several named sources (a manifests directory, the local cluster's
/// pods and endpoints, a Kubernetes watch), merged by kind/namespace/name with the most recently registered source
/// winning. Every change bumps <see cref="Version"/>, makes a new immutable snapshot and raises <see cref="Changed"/>.
/// </summary>
public sealed class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly List<string> _sourceOrder = [];
    private readonly Dictionary<string, Dictionary<string, KubeObject>> _sources = new(StringComparer.Ordinal);
    private readonly Func<KubeObject, KubeObject>? _admission;
    private StoreSnapshot _snapshot = StoreSnapshot.Empty;

    /// <param name="admission">
    /// Applied to every object on <see cref="Replace"/>, as an API server's admission would (the local cluster
    /// allocates ClusterIPs with it). It must be stable: the same input object gets the same result.
    /// </param>
    public ObjectStore(Func<KubeObject, KubeObject>? admission = null)
    {
        _admission = admission;
    }

    /// <summary>Raised (outside the store's lock) after every change; read <see cref="Version"/> or take a <see cref="Snapshot"/>.</summary>
    public event EventHandler? Changed;

    /// <summary>Starts at 0 (empty) and grows by one per change.</summary>
    public long Version => Volatile.Read(ref _snapshot).Version;

    /// <summary>The current merged objects; immutable.</summary>
    public StoreSnapshot Snapshot() => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Sets everything <paramref name="source"/> holds: objects it held before and not now are deleted (as
    /// <c>kubectl delete</c> would). Returns the store version after the call (unchanged when nothing changed).
    /// </summary>
    public long Replace(string source, IReadOnlyList<KubeObject> objects)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(objects);

        var next = new Dictionary<string, KubeObject>(objects.Count, StringComparer.Ordinal);
        foreach (var loaded in objects)
        {
            var admitted = _admission is null ? loaded : _admission(loaded);
            next[KeyOf(admitted)] = admitted;
        }

        long version;
        lock (_gate)
        {
            if (_sources.TryGetValue(source, out var previous) && SameObjects(previous, next))
            {
                return _snapshot.Version;
            }

            if (previous is null)
            {
                _sourceOrder.Add(source);
            }

            _sources[source] = next;
            version = _snapshot.Version + 1;
            Volatile.Write(ref _snapshot, StoreSnapshot.Create(version, Merge()));
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return version;
    }

    /// <summary>kind/namespace/name, the identity an object has in the API server.</summary>
    public static string KeyOf(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return $"{obj.Kind}/{obj.Namespace}/{obj.Name}";
    }

    private List<KubeObject> Merge()
    {
        var merged = new Dictionary<string, KubeObject>(StringComparer.Ordinal);
        foreach (var source in _sourceOrder)
        {
            foreach (var (key, obj) in _sources[source])
            {
                merged[key] = obj;
            }
        }

        // A stable order keeps the translator's output (and so the policy bytes) independent of load order.
        return [.. merged.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value)];
    }

    private static bool SameObjects(Dictionary<string, KubeObject> a, Dictionary<string, KubeObject> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, obj) in a)
        {
            if (!b.TryGetValue(key, out var other) || !(ReferenceEquals(obj, other) || obj.Equals(other)))
            {
                return false;
            }
        }

        return true;
    }
}
