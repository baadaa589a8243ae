using System.Collections.Immutable;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// A cache of one resource, kept current the way client-go's reflector keeps one: list (in pages), then watch from the
/// list's resourceVersion with bookmarks; a watch that ends is resumed from the last version seen (an event's or a
/// bookmark's); <c>410 Gone</c> (the version expired) lists again; any other error backs off, doubling up to
/// <see cref="KubeInformerOptions.MaxBackoff"/>. The cache is an immutable map swapped on every change.
/// </summary>
public sealed class KubeInformer : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly KubeInformerOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private InformerSnapshot _snapshot;

    // The keys watch events changed since the reader last took them (TakeChanges), and the epoch of the objects: a list
    // or a clear starts a new one, and then every object must be read again.
    private readonly Lock _changesGate = new();
    private HashSet<string> _changedKeys = new(StringComparer.Ordinal);
    private long _epoch;
    private Task _loop = Task.CompletedTask;
    private readonly string _name;
    private int _version;
    private bool _notServedReported;
    private int _lists;
    private int _pages;
    private int _watches;

    public KubeInformer(IKubernetes client, KubeResource resource, ILogger logger, KubeInformerOptions? options = null, TimeProvider? time = null, KubeListScope? scope = null)
    {
        _client = client;
        Resource = resource;
        Scope = scope ?? KubeListScope.All;
        _name = Scope.Describe(resource);
        _logger = logger;
        _options = options ?? new KubeInformerOptions();
        _time = time ?? TimeProvider.System;
        _snapshot = new InformerSnapshot(ImmutableDictionary<string, JsonObject>.Empty.WithComparers(StringComparer.Ordinal), resource.Version, "");
    }

    public KubeResource Resource { get; }

    /// <summary>Which of <see cref="Resource"/>'s objects this informer holds: all of them, or one namespace's selected by field.</summary>
    public KubeListScope Scope { get; }

    /// <summary>Raised (on the informer's loop) after every change to <see cref="Objects"/>.</summary>
    public event Action<KubeInformer>? Changed;

    /// <summary>The objects, the version of the resource they were read at, and the newest resourceVersion seen, together.</summary>
    public InformerSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// The snapshot, its epoch, and the keys of the objects watch events added, changed or deleted since the last call:
    /// for one reader (<see cref="KubeSource"/>), which reads only those again while the epoch stays the same. A new
    /// epoch (the objects were listed again, or cleared) means any object may have changed, and the keys are to be ignored.
    /// </summary>
    internal (InformerSnapshot Snapshot, long Epoch, IReadOnlyCollection<string> Keys) TakeChanges()
    {
        lock (_changesGate)
        {
            var keys = _changedKeys;
            _changedKeys = new HashSet<string>(StringComparer.Ordinal);
            return (Snapshot, _epoch, keys);
        }
    }

    /// <summary>The objects by <c>namespace/name</c> (<c>name</c> when cluster-scoped); immutable.</summary>
    public ImmutableDictionary<string, JsonObject> Objects => Snapshot.Objects;

    /// <summary>The version of <see cref="Resource"/> the objects were read at (the first the API server serves).</summary>
    public string ServedVersion => Snapshot.Version;

    /// <summary>
    /// False while the API server serves none of <see cref="Resource"/>'s versions (its CRD is not installed): the
    /// informer then counts as synced with no objects, and keeps asking, so a CRD installed later is picked up.
    /// </summary>
    public bool Served { get; private set; } = true;

    /// <summary>True once the first list has completed.</summary>
    public bool Synced => _synced.Task.IsCompleted;

    /// <summary>The newest resourceVersion seen (a list's, an event's or a bookmark's).</summary>
    public string ResourceVersion => Snapshot.ResourceVersion;

    /// <summary>How many complete lists were made (1, plus one per expired version).</summary>
    public int Lists => Volatile.Read(ref _lists);

    /// <summary>How many list pages were read (more than <see cref="Lists"/> when lists are paged).</summary>
    public int Pages => Volatile.Read(ref _pages);

    /// <summary>How many watches were opened.</summary>
    public int Watches => Volatile.Read(ref _watches);

    public static string KeyOf(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        var name = meta?["name"].Text() ?? "";
        return meta?["namespace"].Text() is { Length: > 0 } ns ? $"{ns}/{name}" : name;
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var needList = true;
        var backoff = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(ct).ConfigureAwait(false);
                    needList = false;
                }

                var outcome = await WatchAsync(ct).ConfigureAwait(false);
                if (outcome == WatchOutcome.Expired)
                {
                    // client-go's reflector lists again at once; so does this (a list that expires too backs off below).
                    Log.WatchExpired(_logger, _name, ResourceVersion);
                    needList = true;
                }

                // A watch that delivered nothing and ended at once (a server closing every watch) must not spin.
                backoff = outcome == WatchOutcome.EndedEmpty ? Next(backoff) : TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
            {
                // This version is not served (a CRD not installed, or upgraded past it): list again, at the next version;
                // when none is served, the kind is empty until its CRD appears. The back-off grows across the probe.
                needList = true;
                if (_version + 1 < Resource.Versions.Count)
                {
                    _version++;
                    continue;
                }

                _version = 0;
                NotServed();
                backoff = Next(Next(backoff));
            }
            catch (Exception e) when (KubeErrors.IsGone(e))
            {
                // Expired: a watch's version, or a list's continue token. A list that keeps expiring backs off.
                Log.WatchExpired(_logger, _name, ResourceVersion);
                backoff = needList ? Next(backoff) : TimeSpan.Zero;
                needList = true;
            }
            catch (Exception e)
            {
                // A failed list, or a watch that broke or reported an error: list again after the back-off, as the
                // reflector does (its next ListAndWatch), so that nothing missed meanwhile stays missed.
                needList = needList || e is KubeWatchException;
                backoff = Next(backoff);
                Log.InformerFailed(_logger, _name, backoff.TotalSeconds, KubeErrors.Describe(e));
            }

            if (backoff > TimeSpan.Zero)
            {
                try
                {
                    // Jitter, so replicas and informers that failed together do not retry together.
                    var jittered = backoff * (0.8 + (0.4 * Random.Shared.NextDouble()));
                    await Task.Delay(jittered, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Publishes <paramref name="next"/>: with the key of the object an event <paramref name="changed"/>, or as a new
    /// epoch when <paramref name="relisted"/>. Keys no reader takes are bounded by the objects: past their number the
    /// epoch moves instead.
    /// </summary>
    private void Swap(InformerSnapshot next, string? changed = null, bool relisted = false)
    {
        lock (_changesGate)
        {
            Volatile.Write(ref _snapshot, next);
            if (changed is not null)
            {
                _changedKeys.Add(changed);
            }

            if (relisted || _changedKeys.Count > Math.Max(1024, next.Objects.Count))
            {
                _epoch++;
                _changedKeys.Clear();
            }
        }
    }

    private void NotServed()
    {
        Served = false;
        if (!_notServedReported)
        {
            _notServedReported = true;
            Log.NotServed(_logger, _name, string.Join(", ", Resource.Versions));
        }

        if (!Objects.IsEmpty || !Synced)
        {
            var current = Snapshot;
            Swap(current with { Objects = current.Objects.Clear() }, relisted: true);
            _synced.TrySetResult();
            Changed?.Invoke(this);
        }
    }

    private TimeSpan Next(TimeSpan backoff) =>
        backoff == TimeSpan.Zero ? _options.InitialBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    private async Task ListAsync(CancellationToken ct)
    {
        var objects = ImmutableDictionary.CreateBuilder<string, JsonObject>(StringComparer.Ordinal);
        var version = Resource.Versions[_version];
        string? next = null;
        KubeList page;
        do
        {
            page = await Resource.ListAsync(_client, version, _options.PageSize, next, ct, Scope).ConfigureAwait(false);
            Interlocked.Increment(ref _pages);
            foreach (var item in page.Items)
            {
                objects[KeyOf(item)] = item;
            }

            next = page.Continue;
        }
        while (next is not null);

        Served = true;
        Swap(new InformerSnapshot(objects.ToImmutable(), version, page.ResourceVersion), relisted: true);
        Interlocked.Increment(ref _lists);
        Log.Listed(_logger, _name, objects.Count, page.ResourceVersion);
        _synced.TrySetResult();
        Changed?.Invoke(this);
    }

    private async Task<WatchOutcome> WatchAsync(CancellationToken ct)
    {
        Exception? failure = null;
        var expired = false;
        var events = 0;
        Interlocked.Increment(ref _watches);

        // client-go's reflector asks for a timeout between 5 and 10 minutes so that watches are spread over API servers.
        var timeout = (int)(_options.WatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble()));
        var watching = Snapshot;
        await foreach (var (type, obj) in Resource.WatchAsync(_client, watching.Version, Scope, watching.ResourceVersion, timeout, e =>
        {
            if (KubeErrors.IsGone(e))
            {
                expired = true;
            }
            else
            {
                failure ??= e;
            }
        }, ct).ConfigureAwait(false))
        {
            events++;
            var version = (obj["metadata"] as JsonObject)?["resourceVersion"].Text();
            var current = Snapshot;
            var key = type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted ? KeyOf(obj) : null;
            var objects = type switch
            {
                WatchEventType.Added or WatchEventType.Modified => current.Objects.SetItem(key!, obj),
                WatchEventType.Deleted => current.Objects.Remove(key!),
                WatchEventType.Bookmark => current.Objects,
                _ => null,
            };
            if (objects is null)
            {
                continue;
            }

            Swap(current with { Objects = objects, ResourceVersion = string.IsNullOrEmpty(version) ? current.ResourceVersion : version }, changed: key);
            if (type != WatchEventType.Bookmark)
            {
                Changed?.Invoke(this);
            }
        }

        if (expired)
        {
            return WatchOutcome.Expired;
        }

        if (failure is not null)
        {
            throw new KubeWatchException($"watch of {_name} failed: {KubeErrors.Describe(failure)}", failure);
        }

        return events == 0 ? WatchOutcome.EndedEmpty : WatchOutcome.Ended;
    }

    private enum WatchOutcome
    {
        Ended,
        EndedEmpty,
        Expired,
    }
}
