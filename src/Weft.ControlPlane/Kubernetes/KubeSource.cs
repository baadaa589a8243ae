using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using Microsoft.Extensions.Logging;
using Weft.Api;
using Weft.Api.Model;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Objects;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The Kubernetes API as a source of the <see cref="ObjectStore"/>: one <see cref="KubeInformer"/> per kind the
/// translator reads, and one per ConfigMap a CA reference names (<see cref="ReferencedConfigMaps"/>), each object read by
/// the same <see cref="ManifestLoader"/> as a manifests directory (so an object the loader rejects is rejected the same
/// way in both modes, and logged). Nothing reaches the store before every informer has listed once: a half-listed
/// cluster (routes without their Services) would publish wrong policy and status. A newly referenced ConfigMap is
/// waited for too, for at most <see cref="ReferencedConfigMaps.FirstListWait"/>: a policy published before its CA bundle
/// would fail its backends' connections (500) until the next publish.
/// </summary>
public sealed class KubeSource : IAsyncDisposable
{
    /// <summary>The name this source has in the store.</summary>
    public const string SourceName = "kubernetes";

    private const int MaxConditionMessage = 32768;

    private readonly ObjectStore _store;
    private readonly ILogger _logger;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The last reading of each object, by informer and key: reused while it is the same JSON instance (the informer
    // makes one per list and event), while its resourceVersion is the same, and while only its status (but a pod's IP)
    // or bookkeeping changed: Weft's own status writes and a pod's readiness must not cost a translation.
    private readonly Dictionary<KubeInformer, Readings> _read = [];

    // The objects the loader refuses now (kept with their readings), and their last published copy.
    private readonly Dictionary<(KubeResource, string), KubeRefusal> _refused = [];
    private bool _refusedChanged;
    private KubeRefusals _refusals = KubeRefusals.None;
    private Task _loop = Task.CompletedTask;

    // The resourceVersion each informer's objects had when the store last took them, and a signal for each publish.
    private IReadOnlyDictionary<KubeInformer, string> _publishedVersions = new Dictionary<KubeInformer, string>();
    private TaskCompletionSource _publish = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public KubeSource(IKubernetes client, ObjectStore store, ILoggerFactory loggerFactory, KubeInformerOptions? options = null, IReadOnlyList<KubeResource>? resources = null)
    {
        _store = store;
        _logger = loggerFactory.CreateLogger<KubeSource>();
        Informers = [.. (resources ?? KubeResource.MeshInputs).Select(r => new KubeInformer(client, r, loggerFactory.CreateLogger<KubeInformer>(), options))];
        ConfigMaps = new ReferencedConfigMaps(client, loggerFactory, options, OnChanged);
    }

    /// <summary>The informers of the kinds read cluster-wide (<see cref="KubeResource.MeshInputs"/> unless told).</summary>
    public IReadOnlyList<KubeInformer> Informers { get; }

    /// <summary>The ConfigMaps the objects read refer to, each with its own informer.</summary>
    public ReferencedConfigMaps ConfigMaps { get; }

    /// <summary>
    /// The objects the loader refused as of the last publish (an object read at a newer version may not be in it yet):
    /// their status says so (<see cref="KubeStatusWriter"/>) instead of losing Weft's entries.
    /// </summary>
    public KubeRefusals Refusals => Volatile.Read(ref _refusals);

    /// <summary>Raised after a publish whose <see cref="Refusals"/> differ from the last one's.</summary>
    public event Action? RefusalsChanged;

    /// <summary>True once every informer has listed and the store holds what they listed.</summary>
    public bool Synced => _published.Task.IsCompleted;

    public KubeInformer InformerOf(KubeResource resource) => Informers.First(i => i.Resource == resource);

    public void Start()
    {
        foreach (var informer in Informers)
        {
            informer.Changed += OnChanged;
            informer.Start();
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Completes once every kind has been listed and published to the store.</summary>
    public Task WaitForSyncAsync(CancellationToken ct) => _published.Task.WaitAsync(ct);

    /// <summary>The store version of the first publish (every kind listed); 0 before it.</summary>
    public long SyncedStoreVersion => _published.Task.IsCompletedSuccessfully ? _published.Task.Result : 0;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var informer in Informers)
        {
            informer.Changed -= OnChanged;
            await informer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await ConfigMaps.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void OnChanged(KubeInformer informer) => _changed.Writer.TryWrite(true);

    /// <summary>
    /// Completes once the store holds, for each kind named in <paramref name="versions"/> (by
    /// <see cref="KubeResource.QualifiedName"/>), what its informer had at that resourceVersion or later: a writer that
    /// knows the versions its writes returned waits here until this source has published them. Versions are compared as
    /// numbers, as the API server's (etcd's) are, though the API calls them opaque. Kinds this source does not read are ignored.
    /// </summary>
    public async Task WaitForResourceVersionsAsync(IReadOnlyDictionary<string, string> versions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var wanted = new List<(KubeInformer Informer, ulong Version)>();
        foreach (var informer in Informers)
        {
            if (versions.TryGetValue(informer.Resource.QualifiedName, out var text) && ulong.TryParse(text, out var version))
            {
                wanted.Add((informer, version));
            }
        }

        while (true)
        {
            var signal = Volatile.Read(ref _publish);
            var published = Volatile.Read(ref _publishedVersions);
            if (Synced && wanted.All(w => published.TryGetValue(w.Informer, out var seen) && ulong.TryParse(seen, out var number) && number >= w.Version))
            {
                return;
            }

            await signal.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _changed.Reader.ReadAsync(ct).ConfigureAwait(false);
                if (Informers.Any(i => !i.Synced))
                {
                    continue;
                }

                var (objects, versions) = await ReadAsync(ct).ConfigureAwait(false);
                var version = _store.Replace(SourceName, objects);
                if (_refusedChanged)
                {
                    Volatile.Write(ref _refusals, new KubeRefusals(new Dictionary<(KubeResource, string), KubeRefusal>(_refused), version));
                    _refusedChanged = false;

                    // A refused object is not in the store, so its refusal may publish no new model: tell the status
                    // writer itself (the informer's event that woke it came before this publish).
                    RefusalsChanged?.Invoke();
                }

                Volatile.Write(ref _publishedVersions, versions);
                Interlocked.Exchange(ref _publish, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                if (_published.TrySetResult(version))
                {
                    Log.KubeSynced(_logger, Informers.Count, version);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.KubeSourceFailed(_logger, e);
            }
        }
    }

    /// <summary>
    /// Every informer's objects as the loader reads them, the ConfigMaps they refer to last (started now when newly
    /// referenced, and waited for), and each cluster-wide informer's resourceVersion.
    /// </summary>
    private async Task<(ChunkedList<KubeObject> Objects, Dictionary<KubeInformer, string> Versions)> ReadAsync(CancellationToken ct)
    {
        // In chunks: a list of every object for each publish, but no array of the cluster's size (issue 18).
        var objects = new ChunkedListBuilder<KubeObject>();
        var versions = new Dictionary<KubeInformer, string>();
        Read(Informers, objects, versions);

        var started = await ConfigMaps.FollowAsync(ReferencedConfigMaps.Of(ObjectsOfKinds(ReferencedConfigMaps.Kinds))).ConfigureAwait(false);
        if (started.Count > 0)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(ReferencedConfigMaps.FirstListWait);
            try
            {
                await Task.WhenAll(started.Select(i => i.WaitForSyncAsync(wait.Token))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            foreach (var late in started.Where(i => !i.Synced))
            {
                Log.ConfigMapNotListed(_logger, late.Scope.Describe(late.Resource), ReferencedConfigMaps.FirstListWait.TotalSeconds);
            }
        }

        KubeInformer[] followed = [.. ConfigMaps.Informers.Values];
        Read(followed, objects, versions: null);
        foreach (var gone in _read.Keys.Where(i => !Informers.Contains(i) && !followed.Contains(i)).ToList())
        {
            _read.Remove(gone); // a ConfigMap no longer referenced
        }

        return (objects.ToList(), versions);
    }

    /// <summary>The objects read of the informers of <paramref name="kinds"/>: those that can hold CA references, not every object of the cluster.</summary>
    private IEnumerable<KubeObject> ObjectsOfKinds(IReadOnlySet<string> kinds) =>
        _read.Where(r => kinds.Contains(r.Key.Resource.Kind)).SelectMany(r => r.Value.Objects);

    /// <summary>
    /// Each informer's objects, as read before unless changed: while an informer's epoch stays, only the objects its
    /// watch events named since the last publish are looked at; after a list, every one (a dictionary look-up each, and
    /// a reading only for a new JSON instance). At 50,000 Services with their pods, slices and routes, a publish would
    /// otherwise go over hundreds of thousands of objects for every pod that turns ready.
    /// </summary>
    private void Read(IReadOnlyList<KubeInformer> informers, ChunkedListBuilder<KubeObject> objects, Dictionary<KubeInformer, string>? versions)
    {
        foreach (var informer in informers)
        {
            var (snapshot, epoch, changed) = informer.TakeChanges();
            if (versions is not null)
            {
                versions[informer] = snapshot.ResourceVersion;
            }

            if (!_read.TryGetValue(informer, out var readings))
            {
                _read[informer] = readings = new Readings();
            }

            try
            {
                if (readings.Epoch != epoch)
                {
                    ReadAll(informer.Resource, snapshot, readings);
                }
                else
                {
                    foreach (var key in changed)
                    {
                        ReadOne(informer.Resource, snapshot, readings, key);
                    }
                }

                readings.Epoch = epoch;
            }
            catch
            {
                // The keys taken are gone from the informer, and the list may be half made: the next publish reads every object.
                readings.Epoch = -1;
                throw;
            }

            // One copy of references, not a read of each reading and a type check of each object (at 155,000 objects
            // scattered over the heap, two cache misses each: 15% of a 50,000-Service controller's CPU while pods flip).
            objects.AddRange(readings.Objects, 0, readings.Objects.Count);
        }
    }

    /// <summary>Every object of the snapshot, each placed anew; the readings of keys it no longer has are dropped.</summary>
    private void ReadAll(KubeResource resource, InformerSnapshot snapshot, Readings readings)
    {
        var last = readings.ByKey;
        readings.Clear();
        foreach (var key in last.Keys.Where(k => !snapshot.Objects.ContainsKey(k)))
        {
            Refused(resource, key, null);
        }

        foreach (var (key, json) in snapshot.Objects)
        {
            var read = last.GetValueOrDefault(key) ?? new Reading();
            readings.ByKey[key] = read;
            Update(resource, key, json, read);
            readings.Place(read);
        }
    }

    private void ReadOne(KubeResource resource, InformerSnapshot snapshot, Readings readings, string key)
    {
        if (snapshot.Objects.TryGetValue(key, out var json))
        {
            ref var read = ref CollectionsMarshal.GetValueRefOrAddDefault(readings.ByKey, key, out _);
            read ??= new Reading();
            Update(resource, key, json, read);
            readings.Place(read);
        }
        else if (readings.ByKey.Remove(key, out var gone))
        {
            (gone.Object, gone.Refusal) = (null, null);
            readings.Place(gone);
            Refused(resource, key, null);
        }
    }

    /// <summary>Reads <paramref name="json"/> into <paramref name="read"/> unless it is the JSON read last, or only what Weft does not read changed.</summary>
    private void Update(KubeResource resource, string key, JsonObject json, Reading read)
    {
        if (ReferenceEquals(read.Json, json))
        {
            return;
        }

        var version = (json["metadata"] as JsonObject)?["resourceVersion"].Text() ?? "";
        if (read.Version != version || version.Length == 0)
        {
            var content = Content(resource, json);
            if (read.Content != content)
            {
                read.Content = content;
                (read.Object, read.Refusal) = ReadObject(resource, key, json);
            }
        }

        (read.Json, read.Version) = (json, version);
        Refused(resource, key, read.Refusal);
    }

    /// <summary>Notes that the loader refuses the object (<paramref name="refusal"/>), or no longer does (null).</summary>
    private void Refused(KubeResource resource, string key, KubeRefusal? refusal)
    {
        if (refusal is null ? _refused.Remove((resource, key)) : _refused.GetValueOrDefault((resource, key)) != refusal)
        {
            if (refusal is not null)
            {
                _refused[(resource, key)] = refusal;
            }

            _refusedChanged = true;
        }
    }

    /// <summary>
    /// The object without what changes on every write and Weft does not read: resourceVersion, managedFields, and the
    /// status of the kinds whose status the loader takes without reading it (a Pod's but for its IP, <c>status.podIP</c>,
    /// the one status field the loader reads; a Service's, a Namespace's, and those of Gateway API objects and Weft's
    /// policies). Of any other kind a status stays, as the loader rejects it. The type comes first, whether the object
    /// came in a list (where the informer adds it after the rest) or a watch event (where it leads).
    /// </summary>
    /// <remarks>
    /// A pod's status changes with each phase, condition and container restart: its readiness flips as the pod's
    /// endpoint in its EndpointSlice does. Were the Pod read again for it, the store would hold a new instance, and
    /// <see cref="MeshModel.Update"/> would build the whole model again instead of moving only that Service's endpoints.
    /// </remarks>
    private static string Content(KubeResource resource, JsonObject json)
    {
        var keepStatus = !(resource == KubeResource.Pods || resource == KubeResource.Services || resource == KubeResource.Namespaces
            || resource.Group.StartsWith("gateway.networking.", StringComparison.Ordinal) || resource.Group == WeftPolicyApi.Group);
        var copy = new JsonObject { ["apiVersion"] = json["apiVersion"]?.DeepClone(), ["kind"] = json["kind"]?.DeepClone() };
        foreach (var (name, value) in json)
        {
            switch (name)
            {
                case "apiVersion" or "kind":
                    break;
                case "status" when !keepStatus:
                    if (resource == KubeResource.Pods && value is JsonObject status && status["podIP"] is { } podIP)
                    {
                        copy[name] = new JsonObject { ["podIP"] = podIP.DeepClone() };
                    }

                    break;
                default:
                    copy[name] = value?.DeepClone();
                    break;
            }
        }

        if (copy["metadata"] is JsonObject meta)
        {
            meta.Remove("resourceVersion");
            meta.Remove("managedFields");
        }

        return copy.ToJsonString();
    }

    /// <summary>
    /// A pod's level as the mesh must see it: a pod has a sidecar only when it runs one. The injector records the level
    /// it resolved (<c>weft.dev/mesh</c>) beside the sidecar it adds; a pod without the sidecar container (created while
    /// the injector was away, opted out, or asking for the mesh by a template label it could not honour) is <c>off</c>,
    /// whatever its annotations say, so that clients send it plain TCP instead of mTLS it cannot answer.
    /// </summary>
    private static JsonObject WithSidecarLevel(JsonObject pod)
    {
        var hasSidecar = (pod["spec"] as JsonObject)?["containers"] is JsonArray containers
            && containers.OfType<JsonObject>().Any(c => c["name"].Text() == WeftInstallation.SidecarContainerName);
        var metadata = pod["metadata"] as JsonObject;
        var recorded = (metadata?["annotations"] as JsonObject)?[MeshLevels.Key].Text();
        if (hasSidecar && recorded is not null)
        {
            return pod;
        }

        var copy = pod.DeepClone().AsObject();
        if (copy["metadata"] is not JsonObject meta)
        {
            copy["metadata"] = meta = new JsonObject();
        }

        if (meta["annotations"] is not JsonObject annotations)
        {
            meta["annotations"] = annotations = new JsonObject();
        }

        annotations[MeshLevels.Key] = hasSidecar ? MeshLevels.Normalize(recorded) : MeshLevels.Off;
        return copy;
    }

    /// <summary>What the loader makes of the object, or, when it refuses it, the loader's words for why.</summary>
    private (KubeObject? Object, KubeRefusal? Refusal) ReadObject(KubeResource resource, string key, JsonObject json)
    {
        if (resource == KubeResource.Pods)
        {
            json = WithSidecarLevel(json);
        }

        var loaded = ManifestLoader.LoadText(json.ToJsonString(), $"{resource.QualifiedName}/{key}");
        foreach (var problem in loaded.Problems)
        {
            Log.KubeObjectRejected(_logger, resource.QualifiedName, key, problem.ToString());
        }

        if (loaded.Objects.Count == 1)
        {
            return (loaded.Objects[0], null);
        }

        // A condition's message is at most 32768 characters (metav1.Condition); a longer one would make its status unwritable.
        var why = string.Join("; ", loaded.Problems.Select(p => p.Detail));
        return (null, loaded.Problems.Count == 0 ? null
            : new KubeRefusal((json["metadata"] as JsonObject)?["generation"].Long() ?? 1, why.Length <= MaxConditionMessage ? why : why[..(MaxConditionMessage - 3)] + "..."));
    }

    /// <summary>
    /// An informer's readings: by key, and those with an object in a list kept in place across publishes (a changed
    /// object stays at its entry, so the store finds every other at its position as last time); and the informer epoch
    /// they follow.
    /// </summary>
    private sealed class Readings
    {
        public Dictionary<string, Reading> ByKey { get; private set; } = new(StringComparer.Ordinal);

        /// <summary>The readings with an object, each at its <see cref="Reading.Position"/>.</summary>
        public List<Reading> Placed { get; } = [];

        /// <summary>The objects of <see cref="Placed"/>, at the same positions.</summary>
        public List<KubeObject> Objects { get; } = [];

        /// <summary>The informer's epoch these readings follow (-1: none yet, or a publish failed: read every object).</summary>
        public long Epoch { get; set; } = -1;

        /// <summary>Forgets every reading's key and place (<see cref="ByKey"/> is a new table; the old one stays the caller's).</summary>
        public void Clear()
        {
            foreach (var read in Placed)
            {
                read.Position = -1;
            }

            Placed.Clear();
            Objects.Clear();
            ByKey = new Dictionary<string, Reading>(ByKey.Count, StringComparer.Ordinal);
        }

        /// <summary>
        /// Puts <paramref name="read"/> in the list when it has an object and is not there yet, or its object at its place
        /// when it is; takes it out when it has none.
        /// </summary>
        public void Place(Reading read)
        {
            if (read.Object is { } obj)
            {
                if (read.Position < 0)
                {
                    read.Position = Placed.Count;
                    Placed.Add(read);
                    Objects.Add(obj);
                }
                else
                {
                    Objects[read.Position] = obj;
                }
            }
            else if (read.Position >= 0)
            {
                // The last entry takes the place of the one going.
                var last = Placed.Count - 1;
                var moved = Placed[last];
                (Placed[read.Position], Objects[read.Position], moved.Position) = (moved, Objects[last], read.Position);
                Placed.RemoveAt(last);
                Objects.RemoveAt(last);
                read.Position = -1;
            }
        }
    }

    /// <summary>One object's last reading: the JSON it was read from, its resourceVersion and content, what the loader made of it, and its place.</summary>
    private sealed class Reading
    {
        public JsonObject? Json { get; set; }

        public string? Version { get; set; }

        public string? Content { get; set; }

        public KubeObject? Object { get; set; }

        /// <summary>Why the loader refused it (then <see cref="Object"/> is null); null when it did not.</summary>
        public KubeRefusal? Refusal { get; set; }

        /// <summary>Its index in <see cref="Readings.Placed"/>; -1 when it is not there.</summary>
        public int Position { get; set; } = -1;
    }
}
