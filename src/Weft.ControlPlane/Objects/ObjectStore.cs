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

    /// <summary>Each source's last list, as given, admitted and keyed: what the next replace of that source is compared with.</summary>
    private readonly Dictionary<string, SourceList> _lists = new(StringComparer.Ordinal);
    private readonly Func<KubeObject, KubeObject>? _admission;
    private StoreSnapshot _snapshot = StoreSnapshot.Empty;

    /// <summary>The keys of <see cref="StoreSnapshot.Objects"/>, in its order.</summary>
    private string[] _mergedKeys = [];

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
    /// <remarks>
    /// A source that hands the whole list again with a few objects swapped (a Kubernetes watch event: the same
    /// instances but for the object that changed) costs in proportion to what changed, not to the cluster: the
    /// objects at the same positions as last time are known by reference, and only the swapped ones are admitted,
    /// keyed and merged (<see cref="TryReplaceSwapped"/>). Anything else (objects added, removed or moved) is merged
    /// in full.
    /// </remarks>
    public long Replace(string source, IReadOnlyList<KubeObject> objects)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(objects);

        long version;
        SourceList? last;
        lock (_gate)
        {
            var before = _snapshot.Version;
            if (!_lists.TryGetValue(source, out last) || !TryReplaceSwapped(source, last, objects, out version))
            {
                version = -1;
            }
            else if (version == before)
            {
                return version;
            }
        }

        if (version >= 0)
        {
            Changed?.Invoke(this, EventArgs.Empty);
            return version;
        }

        var next = new Dictionary<string, KubeObject>(objects.Count, StringComparer.Ordinal);
        var given = new KubeObject[objects.Count];
        var keys = new string[objects.Count];
        var shift = objects.Count - (last?.Given.Length ?? 0);
        for (var i = 0; i < objects.Count; i++)
        {
            var loaded = objects[i];
            var admitted = Admit(loaded);
            (given[i], keys[i]) = (loaded, KnownKey(last, loaded, i, shift) ?? KeyOf(admitted));
            next[keys[i]] = admitted;
        }

        lock (_gate)
        {
            // A list that names one object twice (the last wins) is always merged in full.
            if (next.Count == objects.Count)
            {
                _lists[source] = new SourceList(given, keys);
            }
            else
            {
                _lists.Remove(source);
            }

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
            (_mergedKeys, var merged) = _sourceOrder.Count == 1 && previous is not null && MergeChanges(previous, next) is { } changed ? changed : Merge();
            Volatile.Write(ref _snapshot, StoreSnapshot.Create(version, merged));
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return version;
    }

    /// <summary>
    /// The replace of a source whose list has the same length as last time and the same keys at the same positions:
    /// only the objects that are not the same instances as last time are admitted and merged into the snapshot, each at
    /// its place. False (nothing done) for any other list, or when so much changed that a full merge is as cheap.
    /// <paramref name="version"/> is the store's version after it (unchanged when every swapped object equals the one held).
    /// </summary>
    private bool TryReplaceSwapped(string source, SourceList list, IReadOnlyList<KubeObject> objects, out long version)
    {
        version = _snapshot.Version;
        if (list.Given.Length != objects.Count)
        {
            return false;
        }

        var swaps = new List<(int Index, KubeObject Admitted)>();
        for (var i = 0; i < objects.Count; i++)
        {
            if (ReferenceEquals(objects[i], list.Given[i]))
            {
                continue;
            }

            var admitted = Admit(objects[i]);
            if (!string.Equals(KeyOf(admitted), list.Keys[i], StringComparison.Ordinal) || swaps.Count >= 1 + (objects.Count / 8))
            {
                return false;
            }

            swaps.Add((i, admitted));
        }

        var held = _sources[source];
        var changed = new List<(string Key, KubeObject Admitted)>();
        foreach (var (i, admitted) in swaps)
        {
            list.Given[i] = objects[i];
            var key = list.Keys[i];
            var before = held[key];
            if (ReferenceEquals(before, admitted) || before.Equals(admitted))
            {
                // As a full replace would: an equal object is no change, and the one held stays.
                continue;
            }

            held[key] = admitted;
            changed.Add((key, admitted));
        }

        if (changed.Count == 0)
        {
            return true;
        }

        // Merged, each key is the latest registered source's that holds it: a later source's object shadows this one's.
        var snapshot = _snapshot;
        var merged = snapshot.Objects.ToArray();
        var replaced = new List<(KubeObject Old, KubeObject New)>(changed.Count);
        var later = _sourceOrder.Skip(_sourceOrder.IndexOf(source) + 1).Select(s => _sources[s]).ToList();
        foreach (var (key, admitted) in changed)
        {
            if (later.Any(s => s.ContainsKey(key)))
            {
                continue;
            }

            var at = Array.BinarySearch(_mergedKeys, key, StringComparer.Ordinal);
            replaced.Add((merged[at], admitted));
            merged[at] = admitted;
        }

        if (replaced.Count == 0)
        {
            return true;
        }

        version = snapshot.Version + 1;
        Volatile.Write(ref _snapshot, snapshot.Replacing(version, merged, replaced));
        return true;
    }

    private KubeObject Admit(KubeObject loaded) => _admission is null ? loaded : _admission(loaded);

    /// <summary>
    /// The key <paramref name="loaded"/> had in the source's last list, when it is the same instance at the same place
    /// or at the place <paramref name="shift"/> before (objects added or removed ahead of it): admission is stable, so
    /// its key is too. Null otherwise. At 150,000 objects, keying every one again is tens of milliseconds.
    /// </summary>
    private static string? KnownKey(SourceList? last, KubeObject loaded, int i, int shift)
    {
        if (last is null)
        {
            return null;
        }

        // The last list may be swapping elements on another replace of the same source: a reference read is whole, and
        // a position's key never changes (a swap keeps it), so the worst is a miss.
        var given = last.Given;
        if (i < given.Length && ReferenceEquals(given[i], loaded))
        {
            return last.Keys[i];
        }

        var j = i - shift;
        return j >= 0 && j < given.Length && ReferenceEquals(given[j], loaded) ? last.Keys[j] : null;
    }

    /// <summary>
    /// The only source's new objects merged from the current snapshot by the keys added and removed, when few were
    /// added: the order by key is kept by inserting, not by sorting everything again. Null when a full merge is as cheap,
    /// or when what it makes is not every key of <paramref name="next"/> once, in order (it then changes nothing: the
    /// caller merges in full).
    /// </summary>
    private (string[] Keys, KubeObject[] Objects)? MergeChanges(Dictionary<string, KubeObject> previous, Dictionary<string, KubeObject> next)
    {
        var limit = 1 + (next.Count / 8);
        var added = new List<string>();
        foreach (var key in next.Keys)
        {
            if (!previous.ContainsKey(key))
            {
                added.Add(key);
                if (added.Count > limit)
                {
                    return null;
                }
            }
        }

        added.Sort(StringComparer.Ordinal);
        var keys = new string[next.Count];
        var objects = new KubeObject[next.Count];
        var w = 0;
        var a = 0;
        bool Put(string key, KubeObject obj)
        {
            // The merged keys are the only source's last ones, in order: a key out of order or one too many means they
            // are not, and a full merge decides.
            if (w == keys.Length || (w > 0 && string.CompareOrdinal(keys[w - 1], key) >= 0))
            {
                return false;
            }

            (keys[w], objects[w]) = (key, obj);
            w++;
            return true;
        }

        foreach (var key in _mergedKeys)
        {
            for (; a < added.Count && string.CompareOrdinal(added[a], key) < 0; a++)
            {
                if (!Put(added[a], next[added[a]]))
                {
                    return null;
                }
            }

            if (next.TryGetValue(key, out var obj) && !Put(key, obj))
            {
                return null;
            }
        }

        for (; a < added.Count; a++)
        {
            if (!Put(added[a], next[added[a]]))
            {
                return null;
            }
        }

        return w == keys.Length ? (keys, objects) : null;
    }

    /// <summary>kind/namespace/name, the identity an object has in the API server.</summary>
    public static string KeyOf(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return $"{obj.Kind}/{obj.Namespace}/{obj.Name}";
    }

    /// <summary>Every source's objects by key, the latest registered source's winning, ordered by key: the keys and the objects.</summary>
    private (string[] Keys, KubeObject[] Objects) Merge()
    {
        var merged = new Dictionary<string, KubeObject>(_sources.Values.Max(s => s.Count), StringComparer.Ordinal);
        foreach (var source in _sourceOrder)
        {
            foreach (var (key, obj) in _sources[source])
            {
                merged[key] = obj;
            }
        }

        // A stable order keeps the translator's output (and so the policy bytes) independent of load order. Keys are
        // unique, so an unstable sort gives the same order.
        var keys = new string[merged.Count];
        var values = new KubeObject[merged.Count];
        merged.Keys.CopyTo(keys, 0);
        merged.Values.CopyTo(values, 0);
        Array.Sort(keys, values, StringComparer.Ordinal);
        return (keys, values);
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

    /// <summary>A source's last list: the objects as given and their keys (once admitted), by position.</summary>
    private sealed record SourceList(KubeObject[] Given, string[] Keys);
}
