using Weft.Api.Model;
using Weft.Routing;

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
    private ChunkedList<string> _mergedKeys = ChunkedList.Of<string>([]);

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
    /// keyed and merged (<see cref="TryReplaceSwapped"/>). The store's only source may also add and remove a few objects
    /// (a pod created or deleted) at a cost in proportion to the list's length in reference comparisons and copies, not
    /// in look-ups and keys (<see cref="TryReplaceEdited"/>). Anything else is merged in full.
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
            if (!_lists.TryGetValue(source, out last) || !(TryReplaceSwapped(source, last, objects, out version) || TryReplaceEdited(source, last, objects, out version)))
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
        var given = ChunkedList.Of(objects);
        var keys = new ChunkedListBuilder<string>();
        var shift = objects.Count - (last?.Given.Count ?? 0);
        for (var i = 0; i < given.Count; i++)
        {
            var loaded = given[i];
            var admitted = Admit(loaded);
            var key = KnownKey(last, loaded, i, shift) ?? KeyOf(admitted);
            keys.Add(key);
            next[key] = admitted;
        }

        lock (_gate)
        {
            // A list that names one object twice (the last wins) is always merged in full.
            if (next.Count == objects.Count)
            {
                _lists[source] = new SourceList(given, keys.ToList());
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
        if (list.Given.Count != objects.Count)
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
        _lists[source] = list with { Given = list.Given.SetItems(swaps.Select(s => (s.Index, objects[s.Index]))) };
        foreach (var (i, admitted) in swaps)
        {
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
        var places = new List<(int At, KubeObject New)>(changed.Count);
        var later = _sourceOrder.Skip(_sourceOrder.IndexOf(source) + 1).Select(s => _sources[s]).ToList();
        foreach (var (key, admitted) in changed)
        {
            if (later.Any(s => s.ContainsKey(key)))
            {
                continue;
            }

            places.Add((_mergedKeys.BinarySearch(key, StringComparer.Ordinal), admitted));
        }

        if (places.Count == 0)
        {
            return true;
        }

        version = snapshot.Version + 1;
        Volatile.Write(ref _snapshot, snapshot.Replacing(version, places));
        return true;
    }

    /// <summary>
    /// The replace of the store's only source by a list that is its last one with a few objects added, removed or
    /// swapped (a Kubernetes source places a new object at the end of its kind's objects and fills a removed one's place
    /// with the last of them). The two lists are aligned by reference (<see cref="ListAlignment"/>); only the objects left
    /// over on either side are admitted, keyed and merged, and the merged keys and objects are copied around them. False
    /// (nothing done) when another source is registered, when more than eight and one in eight objects are left over, or
    /// when the list names an object twice: a full merge decides those. <paramref name="version"/> is the store's version
    /// after it.
    /// </summary>
    private bool TryReplaceEdited(string source, SourceList list, IReadOnlyList<KubeObject> objects, out long version)
    {
        version = _snapshot.Version;
        if (_sourceOrder.Count != 1 || _sourceOrder[0] != source)
        {
            return false;
        }

        // Aligned by reference: a paired object is the same under the same key (admission is stable). A pod deleted from
        // the middle of its kind's objects leaves three over (its place, the last one's, the end): a few events in one
        // publish, in a small cluster too. The copies are linear either way.
        var (gone, fresh) = (new List<int>(), new List<int>()); // positions in the last list, in the new one
        if (!ListAlignment.TryAlign(list.Given, objects, 8 + (objects.Count / 8), gone, fresh))
        {
            return false;
        }

        var held = _sources[source];
        var removed = new HashSet<string>(gone.Count, StringComparer.Ordinal);
        foreach (var at in gone)
        {
            removed.Add(list.Keys[at]);
        }

        var incoming = new Dictionary<string, KubeObject>(fresh.Count, StringComparer.Ordinal);
        var freshKeys = new List<string>(fresh.Count);
        foreach (var at in fresh)
        {
            var admitted = Admit(objects[at]);
            var key = KeyOf(admitted);
            if (!incoming.TryAdd(key, admitted) || (held.ContainsKey(key) && !removed.Contains(key)))
            {
                return false; // the list names an object twice
            }

            freshKeys.Add(key);
        }

        // The new list's keys, in its order: a fresh object's its own, a paired one's the key of its pair.
        var keyed = new ChunkedListBuilder<string>();
        for (int i = 0, j = 0, f = 0, g = 0; i < objects.Count; i++)
        {
            if (f < fresh.Count && fresh[f] == i)
            {
                keyed.Add(freshKeys[f++]);
                continue;
            }

            while (g < gone.Count && gone[g] == j)
            {
                (g, j) = (g + 1, j + 1);
            }

            keyed.Add(list.Keys[j++]); // the k-th paired of one list is the k-th paired of the other
        }

        var keys = keyed.ToList();
        var given = ChunkedList.Of(objects);

        // What changes: keys gone, keys new, and keys on both sides whose object is not the one held (or equal to it).
        var dropped = new List<(string Key, KubeObject Old)>();
        var added = new List<(string Key, KubeObject New)>();
        var swapped = new List<(string Key, KubeObject Old, KubeObject New)>();
        foreach (var key in removed)
        {
            if (!incoming.ContainsKey(key))
            {
                dropped.Add((key, held[key]));
            }
        }

        foreach (var (key, admitted) in incoming)
        {
            if (!removed.Contains(key))
            {
                added.Add((key, admitted));
            }
            else if (!ReferenceEquals(held[key], admitted) && !held[key].Equals(admitted))
            {
                swapped.Add((key, held[key], admitted));
            }
        }

        if (dropped.Count + added.Count + swapped.Count == 0)
        {
            _lists[source] = new SourceList(given, keys);
            return true;
        }

        // Everything made before anything is changed: what throws leaves the store as it was.
        var snapshot = _snapshot;
        if (Merged(dropped, added, swapped) is not var (mergedKeys, merged))
        {
            return false;
        }

        var mesh = snapshot.Mesh
            .Replacing([.. swapped.Select(s => (s.Old, s.New))])
            .Changing([.. dropped.Select(d => d.Old)], [.. added.Select(a => a.New)], static (a, b) => string.CompareOrdinal(KeyOf(a), KeyOf(b)));
        _lists[source] = new SourceList(given, keys);

        foreach (var (key, _) in dropped)
        {
            held.Remove(key);
        }

        foreach (var (key, admitted) in added)
        {
            held[key] = admitted;
        }

        foreach (var (key, _, admitted) in swapped)
        {
            held[key] = admitted;
        }

        version = snapshot.Version + 1;
        _mergedKeys = mergedKeys;
        Volatile.Write(ref _snapshot, StoreSnapshot.Changing(version, merged, mesh));
        return true;
    }

    /// <summary>
    /// The merged keys and objects of the only source with <paramref name="dropped"/> taken out, <paramref name="added"/>
    /// put in at their places by key, and <paramref name="swapped"/> in place; null when a key is not where the merged
    /// keys say (nothing is changed then).
    /// </summary>
    private (ChunkedList<string> Keys, ChunkedList<KubeObject> Objects)? Merged(
        List<(string Key, KubeObject Old)> dropped, List<(string Key, KubeObject New)> added, List<(string Key, KubeObject Old, KubeObject New)> swapped)
    {
        var objects = _snapshot.Objects;
        var edits = new List<(int At, string? Key, KubeObject? New)>(dropped.Count + added.Count); // a null key: drop the key at At
        foreach (var (key, _) in dropped)
        {
            var at = _mergedKeys.BinarySearch(key, StringComparer.Ordinal);
            if (at < 0)
            {
                return null;
            }

            edits.Add((at, null, null));
        }

        foreach (var (key, obj) in added)
        {
            var at = _mergedKeys.BinarySearch(key, StringComparer.Ordinal);
            if (at >= 0)
            {
                return null;
            }

            edits.Add((~at, key, obj));
        }

        // By place; at one place the keys put in (by key) come before the one taken out, which is the key that was there.
        // Copied in chunks around the edits: the whole cluster's keys and objects, but no array of that size.
        edits.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At)
            : a.Key is null ? (b.Key is null ? 0 : 1) : b.Key is null ? -1 : string.CompareOrdinal(a.Key, b.Key));
        var keys = new ChunkedListBuilder<string>();
        var merged = new ChunkedListBuilder<KubeObject>();
        var from = 0;
        foreach (var (at, key, obj) in edits)
        {
            keys.AddRange(_mergedKeys, from, at - from);
            merged.AddRange(objects, from, at - from);
            from = at;
            if (key is null)
            {
                from = at + 1;
            }
            else
            {
                keys.Add(key);
                merged.Add(obj!);
            }
        }

        keys.AddRange(_mergedKeys, from, _mergedKeys.Count - from);
        merged.AddRange(objects, from, _mergedKeys.Count - from);
        var (keyList, objectList) = (keys.ToList(), merged.ToList());

        var places = new List<(int Index, KubeObject Item)>(swapped.Count);
        foreach (var (key, _, obj) in swapped)
        {
            var at = keyList.BinarySearch(key, StringComparer.Ordinal);
            if (at < 0)
            {
                return null;
            }

            places.Add((at, obj));
        }

        return (keyList, objectList.SetItems(places));
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

        // The last list is immutable (another replace of the same source swaps it for a new one), and a position's key
        // never changes (a swap keeps it).
        var given = last.Given;
        if (i < given.Count && ReferenceEquals(given[i], loaded))
        {
            return last.Keys[i];
        }

        var j = i - shift;
        return j >= 0 && j < given.Count && ReferenceEquals(given[j], loaded) ? last.Keys[j] : null;
    }

    /// <summary>
    /// The only source's new objects merged from the current snapshot by the keys added and removed, when few were
    /// added: the order by key is kept by inserting, not by sorting everything again. Null when a full merge is as cheap,
    /// or when what it makes is not every key of <paramref name="next"/> once, in order (it then changes nothing: the
    /// caller merges in full).
    /// </summary>
    private (ChunkedList<string> Keys, ChunkedList<KubeObject> Objects)? MergeChanges(Dictionary<string, KubeObject> previous, Dictionary<string, KubeObject> next)
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
        var keys = new ChunkedListBuilder<string>();
        var objects = new ChunkedListBuilder<KubeObject>();
        string? last = null;
        var a = 0;
        bool Put(string key, KubeObject obj)
        {
            // The merged keys are the only source's last ones, in order: a key out of order or one too many means they
            // are not, and a full merge decides.
            if (keys.Count == next.Count || (last is not null && string.CompareOrdinal(last, key) >= 0))
            {
                return false;
            }

            keys.Add(key);
            objects.Add(obj);
            last = key;
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

        return keys.Count == next.Count ? (keys.ToList(), objects.ToList()) : null;
    }

    /// <summary>kind/namespace/name, the identity an object has in the API server.</summary>
    public static string KeyOf(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return $"{obj.Kind}/{obj.Namespace}/{obj.Name}";
    }

    /// <summary>Every source's objects by key, the latest registered source's winning, ordered by key: the keys and the objects.</summary>
    private (ChunkedList<string> Keys, ChunkedList<KubeObject> Objects) Merge()
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
        return (ChunkedList.Of(keys), ChunkedList.Of(values));
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

    /// <summary>
    /// A source's last list: the objects as given and their keys (once admitted), by position. The objects are a copy
    /// (<see cref="ChunkedList.Of{T}"/>), unless given chunked: the source may change its own list after the call, a
    /// chunked one cannot change.
    /// </summary>
    private sealed record SourceList(ChunkedList<KubeObject> Given, ChunkedList<string> Keys);
}
