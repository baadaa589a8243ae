using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// Every object, the global resourceVersion, a bounded history of changes and the open watches. One lock guards it all
/// (this serves tests, not a fleet), so each write takes the next resourceVersion and reaches every watch in order.
/// Stored objects are never changed in place: a write stores a new object, so events and snapshots can share them.
/// </summary>
internal sealed class ObjectStore(int historyLimit)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<ObjectKey, JsonObject>> _collections = new(StringComparer.Ordinal);
    private readonly List<StoredEvent> _history = [];
    private readonly List<WatchSubscription> _watches = [];
    private long _resourceVersion;
    private long _compactedAt;

    /// <summary>The lock every compound operation holds (it is re-entrant, so the methods below may be called inside it).</summary>
    public Lock Gate => _gate;

    public long ResourceVersion => Interlocked.Read(ref _resourceVersion);

    /// <summary>Watches and exact-version lists at a resourceVersion older than this are answered 410 Expired.</summary>
    public long CompactedAt
    {
        get
        {
            lock (_gate)
            {
                return _compactedAt;
            }
        }
    }

    public int OpenWatches
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    public JsonObject? Get(string storageKey, ObjectKey key)
    {
        lock (_gate)
        {
            return _collections.TryGetValue(storageKey, out var c) && c.TryGetValue(key, out var o) ? o : null;
        }
    }

    /// <summary>The collection as it is now, in key order.</summary>
    public IReadOnlyList<JsonObject> Items(string storageKey)
    {
        lock (_gate)
        {
            return _collections.TryGetValue(storageKey, out var c) ? [.. c.Values] : [];
        }
    }

    /// <summary>Stores an object (created or replaced) under the next resourceVersion and tells the watches.</summary>
    public JsonObject Put(string storageKey, JsonObject obj)
    {
        lock (_gate)
        {
            var key = ObjectKey.Of(obj);
            var collection = Collection(storageKey);
            collection.TryGetValue(key, out var previous);
            var rv = ++_resourceVersion;
            ObjectMeta.Of(obj)["resourceVersion"] = rv.ToString();
            collection[key] = obj;
            Record(new StoredEvent(rv, previous is null ? "ADDED" : "MODIFIED", storageKey, obj, previous));
            return obj;
        }
    }

    /// <summary>Removes an object under the next resourceVersion; returns its last state stamped with that version.</summary>
    public JsonObject? Remove(string storageKey, ObjectKey key)
    {
        lock (_gate)
        {
            if (!_collections.TryGetValue(storageKey, out var collection) || !collection.Remove(key, out var previous))
            {
                return null;
            }

            var rv = ++_resourceVersion;
            var last = previous.DeepClone().AsObject();
            ObjectMeta.Of(last)["resourceVersion"] = rv.ToString();
            Record(new StoredEvent(rv, "DELETED", storageKey, last, previous));
            return last;
        }
    }

    /// <summary>Removes every object of a namespace (a deleted Namespace's contents).</summary>
    public void RemoveNamespace(string @namespace)
    {
        lock (_gate)
        {
            foreach (var (storageKey, collection) in _collections)
            {
                foreach (var key in collection.Keys.Where(k => k.Namespace == @namespace).ToList())
                {
                    Remove(storageKey, key);
                }
            }
        }
    }

    /// <summary>Removes every object of a resource (a deleted CRD's custom resources).</summary>
    public void RemoveAll(string storageKey)
    {
        lock (_gate)
        {
            if (_collections.TryGetValue(storageKey, out var collection))
            {
                foreach (var key in collection.Keys.ToList())
                {
                    Remove(storageKey, key);
                }
            }
        }
    }

    /// <summary>
    /// The collection as it was at <paramref name="resourceVersion"/>, worked back from now through the history; the
    /// caller has checked that the version is not older than <see cref="CompactedAt"/>.
    /// </summary>
    public IReadOnlyList<JsonObject> ItemsAt(string storageKey, long resourceVersion)
    {
        lock (_gate)
        {
            var items = _collections.TryGetValue(storageKey, out var c)
                ? new SortedDictionary<ObjectKey, JsonObject>(c)
                : [];
            for (var i = _history.Count - 1; i >= 0 && _history[i].ResourceVersion > resourceVersion; i--)
            {
                var change = _history[i];
                if (change.StorageKey != storageKey)
                {
                    continue;
                }

                var key = ObjectKey.Of(change.Object);
                if (change.Previous is null)
                {
                    items.Remove(key);
                }
                else
                {
                    items[key] = change.Previous;
                }
            }

            return [.. items.Values];
        }
    }

    /// <summary>
    /// Opens a watch: from now with a synthetic ADDED per current object (<paramref name="from"/> null), or with every
    /// change after <paramref name="from"/>; a version older than the history gets one ERROR event (410 Expired) and the
    /// end of the stream, as the watch cache answers.
    /// </summary>
    public void Subscribe(WatchSubscription watch, long? from)
    {
        lock (_gate)
        {
            if (from is { } since)
            {
                if (since < _compactedAt)
                {
                    watch.Send("ERROR", StatusObjects.Failure(410, "Expired", $"too old resource version: {since} ({_compactedAt})", null));
                    watch.Close();
                    return;
                }

                foreach (var change in _history.Where(e => e.ResourceVersion > since))
                {
                    watch.Offer(change);
                }
            }
            else if (_collections.TryGetValue(watch.Type.StorageKey, out var collection))
            {
                foreach (var obj in collection.Values.Where(watch.Matches))
                {
                    watch.Send("ADDED", ApiObjects.AtVersion(obj, watch.Type, watch.Version));
                }
            }

            _watches.Add(watch);
        }
    }

    public void Unsubscribe(WatchSubscription watch)
    {
        lock (_gate)
        {
            _watches.Remove(watch);
        }
    }

    /// <summary>Queues a BOOKMARK at the current version: every change up to it has already been queued to the watch.</summary>
    public void Bookmark(WatchSubscription watch)
    {
        lock (_gate)
        {
            watch.SendBookmark(_resourceVersion);
        }
    }

    /// <summary>
    /// Ends every watch of a collection once what is queued has been sent: a deleted CRD's storage is torn down (its
    /// cacher stops, which terminates its watchers), and a client that watches again gets a 404 from then on.
    /// </summary>
    public void CloseWatches(string storageKey)
    {
        lock (_gate)
        {
            foreach (var watch in _watches.Where(w => w.Type.StorageKey == storageKey).ToList())
            {
                watch.Close();
                _watches.Remove(watch);
            }
        }
    }

    public int DropWatches()
    {
        lock (_gate)
        {
            var count = _watches.Count;
            foreach (var watch in _watches)
            {
                watch.Close();
            }

            _watches.Clear();
            return count;
        }
    }

    /// <summary>Forgets the history, as an etcd compaction does.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedAt = _resourceVersion;
        }
    }

    private SortedDictionary<ObjectKey, JsonObject> Collection(string storageKey)
    {
        if (!_collections.TryGetValue(storageKey, out var collection))
        {
            collection = [];
            _collections[storageKey] = collection;
        }

        return collection;
    }

    private void Record(StoredEvent change)
    {
        _history.Add(change);
        if (_history.Count > historyLimit)
        {
            var dropped = _history.Count - historyLimit;
            _compactedAt = Math.Max(_compactedAt, _history[dropped - 1].ResourceVersion);
            _history.RemoveRange(0, dropped);
        }

        foreach (var watch in _watches)
        {
            watch.Offer(change);
        }
    }
}
