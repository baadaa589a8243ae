using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Translation;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// Writes what the translator decided back to the API (leader only): every route's <c>status.parents[]</c> entries of
/// Weft's <c>controllerName</c> (gamma-spec H1; entries of other controllers are kept as they are), the status of
/// the XMesh objects that name Weft's controller (Accepted, and <c>supportedFeatures</c>), every AuthorizationPolicy's
/// <c>status.ancestors[]</c> entries of Weft's (GEP-713, one per targetRef; <see cref="AuthorizationStatusJson"/>), every
/// XBackend's <c>status.parents[]</c> entries (one per Service parent of a route that refers to it, merged as a route's
/// are) and every BackendTLSPolicy's and XBackendTrafficPolicy's <c>status.ancestors[]</c> entries
/// (<see cref="BackendStatusJson"/>). Writes go through the status subresource with the object's resourceVersion, only
/// when the status would change; a 409 Conflict re-reads the object and merges again. A condition keeps its
/// <c>lastTransitionTime</c> while its status does not change.
/// </summary>
public sealed class KubeStatusWriter : IAsyncDisposable
{
    private const int MaxAttempts = 5;

    /// <summary><c>status.parents</c> has <c>maxItems: 32</c> in every route CRD.</summary>
    private const int MaxParents = 32;

    private readonly IKubernetes _client;
    private readonly KubeSource _source;
    private readonly Func<PublishedModel> _model;
    private readonly Func<long, CancellationToken, Task> _waitForStore;
    private readonly Func<long> _storeVersion;
    private readonly string _controllerName;
    private readonly IReadOnlyList<string> _features;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Task _models = Task.CompletedTask;
    private volatile bool _active;
    private long _writes;
    private long _conflicts;
    private long _passes;
    private long _compared;
    private long _passTicks;

    /// <summary>One pass at a time: they share <see cref="_settled"/>.</summary>
    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <summary>
    /// What the passes found in step, by kind and key (<see cref="Settled"/>): the next pass skips an object whose informer
    /// instance and model status are the ones recorded, its status would come out the same. A pass compares what a change
    /// touched, not the cluster: at 5,000 routes a pass that made every route's status took 120 ms of CPU, for each model.
    /// </summary>
    private readonly Dictionary<KubeResource, Dictionary<string, Settled>> _settled = [];

    /// <summary>Moved when this replica starts leading: the next pass forgets what it found in step, and compares everything.</summary>
    private long _leadings;
    private long _leadingsSettled;

    public KubeStatusWriter(
        IKubernetes client,
        KubeSource source,
        ControlPlaneHost controlPlane,
        string controllerName,
        IReadOnlyCollection<string> supportedFeatures,
        ILogger<KubeStatusWriter> logger,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        _client = client;
        _source = source;
        _model = () => controlPlane.Published;
        _waitForStore = controlPlane.WaitForVersionAsync;
        _storeVersion = () => controlPlane.Store.Version;
        _controllerName = controllerName;
        _features = [.. supportedFeatures.Order(StringComparer.Ordinal)];
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// How often a pass runs without a change to wake the writer: objects whose write failed are tried again (those a pass
    /// found in step are compared again only when their object or their status in the model changes).
    /// </summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether this replica writes (it holds the Lease). Setting it from false to true reconciles everything at once, what
    /// the passes found in step before forgotten.
    /// </summary>
    public bool Active
    {
        get => _active;
        set
        {
            if (value && !_active)
            {
                Interlocked.Increment(ref _leadings);
            }

            _active = value;
            Wake();
        }
    }

    /// <summary>Status writes made (each one a PUT that succeeded).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Writes refused with 409 Conflict (then merged again and retried).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>Passes made (each looks at the cluster's objects with the newest model; <see cref="Compared"/> says how many it compared).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>
    /// Statuses made from the model and compared with an object's own, over all passes: one for each object a pass looked at
    /// again, and one more for each write that met a conflict.
    /// </summary>
    public long Compared => Interlocked.Read(ref _compared);

    /// <summary>The time the passes took, writes included (not the wait for another pass to end).</summary>
    public TimeSpan PassTime => TimeSpan.FromTicks(Interlocked.Read(ref _passTicks));

    /// <summary>Told the kind and key of each object whose status is made and compared (tests).</summary>
    internal Action<KubeResource, string>? Comparing { get; set; }

    public void Start()
    {
        foreach (var informer in _source.Informers)
        {
            if (Kinds.Contains(informer.Resource))
            {
                informer.Changed += OnObjectsChanged;
            }
        }

        _source.RefusalsChanged += Wake;

        // The model to follow from is taken now, not when the task first runs: one published in between would be missed.
        var published = _model();
        _loop = Task.Run(() => RunAsync(_stop.Token));
        _models = Task.Run(() => FollowModelsAsync(published, _stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var informer in _source.Informers)
        {
            informer.Changed -= OnObjectsChanged;
        }

        _source.RefusalsChanged -= Wake;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _loop, _models })
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
        _pass.Dispose();
    }

    /// <summary>Every kind whose status this writer writes (through its status subresource; RBAC grants their <c>/status</c> update).</summary>
    public static IReadOnlyList<KubeResource> Kinds { get; } =
    [
        .. KubeResource.Routes, KubeResource.Meshes, KubeResource.AuthorizationPolicies,
        KubeResource.XBackends, KubeResource.BackendTlsPolicies, KubeResource.BackendTrafficPolicies,
    ];

    private void OnObjectsChanged(KubeInformer informer) => Wake();

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task FollowModelsAsync(PublishedModel published, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                published = await published.NextAsync(ct).ConfigureAwait(false);
                Wake();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // Woken by a change (a model, or an object's edit from the watch); also every ResyncInterval (a write refused for
        // good is tried again without a change to wake it), and sooner, backing off, while writes fail.
        var retry = TimeSpan.Zero;
        Task<bool>? woken = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                woken ??= _wake.Reader.WaitToReadAsync(ct).AsTask();
                await Task.WhenAny(woken, Task.Delay(retry > TimeSpan.Zero ? retry : ResyncInterval, _time, ct)).ConfigureAwait(false);
                if (woken.IsCompleted)
                {
                    await woken.ConfigureAwait(false);
                    woken = null;
                    _wake.Reader.TryRead(out _);
                }

                ct.ThrowIfCancellationRequested();
                if (!_active)
                {
                    continue;
                }

                // Leading before the cluster has been read: the pass waits for it rather than for another wake-up (the
                // model built from the first read may be published before anything else would wake this loop).
                await _source.WaitForSyncAsync(ct).ConfigureAwait(false);

                // Write from a model that has seen at least what the store held when woken; routes whose generation the
                // model has not reached yet are left for its next publish.
                await _waitForStore(_storeVersion(), ct).ConfigureAwait(false);
                var complete = await ReconcileAsync(ct).ConfigureAwait(false);
                retry = complete ? TimeSpan.Zero : retry == TimeSpan.Zero ? TimeSpan.FromSeconds(2) : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, ResyncInterval.Ticks));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.StatusWriteFailed(_logger, "status", "*", KubeErrors.Describe(e));
            }
        }
    }

    /// <summary>
    /// Compares every route's, XMesh's and policy's, and every XBackend's, status with what it should be and writes the
    /// differences: of each object whose informer instance or model status changed since a pass found it in step (all of
    /// them on the first pass after this replica starts leading). A failure on one object is logged and leaves the rest to
    /// be written; true when every object is as it should be (or was left for a newer model), false when some write failed
    /// and a retry is due. One pass at a time.
    /// </summary>
    internal async Task<bool> ReconcileAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        try
        {
            var leadings = Interlocked.Read(ref _leadings);
            if (leadings != _leadingsSettled)
            {
                _settled.Clear();
                _leadingsSettled = leadings;
            }

            return await PassAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Add(ref _passTicks, _time.GetElapsedTime(started).Ticks);
            Interlocked.Increment(ref _passes);
            _pass.Release();
        }
    }

    private async Task<bool> PassAsync(CancellationToken ct)
    {
        // What the loader refused, and a model at least as new: a route refused and then put right is not taken for one
        // the model has never seen.
        var refusals = _source.Refusals;
        await _waitForStore(refusals.StoreVersion, ct).ConfigureAwait(false);
        var model = _model().Model;
        var complete = true;
        foreach (var resource in KubeResource.Routes)
        {
            // A route the loader refused is not in the model: its Service parents say why instead of losing Weft's entries.
            complete &= await ReconcileKindAsync<RouteStatus>(resource, () => (ns, name) => model.StatusOf(resource.Kind, ns, name), s => s.Generation,
                (current, s) => RouteStatusFor(current, s?.Parents ?? []), ct,
                refusals, (current, refusal) => RouteStatusFor(current, RouteStatusJson.RefusedParents(current, refusal, _controllerName))).ConfigureAwait(false);
        }

        var (meshes, meshVersion, _) = _source.InformerOf(KubeResource.Meshes).Snapshot;
        var settledMeshes = SettledOf(KubeResource.Meshes);
        foreach (var (key, json) in meshes)
        {
            if (!_active)
            {
                return true;
            }

            if ((json["spec"] as JsonObject)?["controllerName"].Text() == _controllerName && Unchanged(settledMeshes, key, json) is null)
            {
                complete &= await SettleAsync(settledMeshes, KubeResource.Meshes, meshVersion, key, json, IdentityOf(json), null, MeshStatusFor, ct).ConfigureAwait(false);
            }
        }

        Forget(settledMeshes, meshes);

        // GEP-713 ancestors of AuthorizationPolicies; issue 17's XBackend parents (merged as a route's are) and backend
        // policy ancestors.
        complete &= await ReconcileKindAsync(KubeResource.AuthorizationPolicies, () => ByName(model.AuthorizationStatuses, s => (s.Namespace, s.Name)), s => s.Generation,
            (current, s) => AuthorizationStatusJson.StatusFor(current, s, _controllerName, _time.GetUtcNow()), ct,
            refusals, (current, refusal) => AuthorizationStatusJson.RefusedStatusFor(current, refusal, _controllerName, _time.GetUtcNow())).ConfigureAwait(false);
        complete &= await ReconcileKindAsync(KubeResource.XBackends, () => ByName(model.XBackendStatuses, s => (s.Namespace, s.Name)), s => s.Generation,
            (current, s) => RouteStatusFor(current, s?.Parents ?? []), ct).ConfigureAwait(false);
        complete &= await ReconcileKindAsync(KubeResource.BackendTlsPolicies, () => ByName(model.BackendTlsPolicyStatuses, s => (s.Namespace, s.Name)), s => s.Generation,
            (current, s) => BackendStatusJson.StatusFor(current, s, _controllerName, _time.GetUtcNow()), ct).ConfigureAwait(false);
        complete &= await ReconcileKindAsync(KubeResource.BackendTrafficPolicies, () => ByName(model.BackendTrafficPolicyStatuses, s => (s.Namespace, s.Name)), s => s.Generation,
            (current, s) => BackendStatusJson.StatusFor(current, s, _controllerName, _time.GetUtcNow()), ct).ConfigureAwait(false);
        return complete;
    }

    /// <summary>
    /// Every object of <paramref name="resource"/> given the status <paramref name="statusFor"/> makes of it and of its
    /// status in the model (<paramref name="statuses"/> gives the look-up by namespace and name; null when the model has
    /// none for it, so that Weft's entries are dropped). The model is not asked when the cluster holds no such object (or
    /// this source does not read the kind, or its CRD is not installed); a model that fails to answer leaves the kind for
    /// the next pass, and the other kinds' writes stand. An object whose generation the model has not seen yet is left for
    /// its next publish. An object the loader refused (in <paramref name="refusals"/>) gets the status <paramref name="refused"/>
    /// makes, when given. An object a pass found in step is skipped while it and its status in the model are the same instances.
    /// </summary>
    private async Task<bool> ReconcileKindAsync<TStatus>(
        KubeResource resource, Func<Func<string, string, TStatus?>> statuses, Func<TStatus, long> generationOf,
        Func<JsonObject, TStatus?, JsonObject?> statusFor, CancellationToken ct,
        KubeRefusals? refusals = null, Func<JsonObject, KubeRefusal, JsonObject?>? refused = null)
        where TStatus : class
    {
        if (_source.Informers.FirstOrDefault(i => i.Resource == resource) is not { } informer)
        {
            return true;
        }

        var (objects, version, _) = informer.Snapshot;
        var settled = SettledOf(resource);
        if (objects.IsEmpty)
        {
            Forget(settled, objects);
            return true;
        }

        Func<string, string, TStatus?> statusOf;
        try
        {
            statusOf = statuses();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StatusWriteFailed(_logger, resource.QualifiedName, "*", e.Message);
            return false;
        }

        var complete = true;
        foreach (var (key, json) in objects)
        {
            if (!_active)
            {
                return true;
            }

            var known = Unchanged(settled, key, json);
            var identity = known is null ? IdentityOf(json) : (known.Namespace, known.Name, known.Generation);
            var status = statusOf(identity.Namespace, identity.Name);
            var refusal = status is null && refused is not null ? refusals?.Of(informer.Resource, key) : null;
            if ((status is null ? refusal?.Generation ?? identity.Generation : generationOf(status)) != identity.Generation)
            {
                // The model (or the loader) has not seen this generation yet: its own wake-up comes when it has (gamma-spec
                // H1: never write an older generation's status onto a newer object).
                continue;
            }

            var made = (object?)status ?? refusal;
            if (known is not null && ReferenceEquals(known.Made, made))
            {
                continue;
            }

            Func<JsonObject, JsonObject?> desired = refusal is null ? current => statusFor(current, status) : current => refused!(current, refusal);
            complete &= await SettleAsync(settled, resource, version, key, json, identity, made, desired, ct).ConfigureAwait(false);
        }

        Forget(settled, objects);
        return complete;
    }

    /// <summary>A look-up of <paramref name="statuses"/> by namespace and name; throws when two have one name.</summary>
    private static Func<string, string, TStatus?> ByName<TStatus>(IEnumerable<TStatus> statuses, Func<TStatus, (string Namespace, string Name)> name)
        where TStatus : class
    {
        var byName = statuses.ToDictionary(name);
        return (ns, n) => byName.GetValueOrDefault((ns, n));
    }

    /// <summary>
    /// An object a pass found in step: as the informer held it (<paramref name="Json"/>), its namespace, name and generation
    /// as read from it, and what its status was made from (<paramref name="Made"/>: the model's status for it, the loader's
    /// refusal, or null for none). The same object and the same status to make it from make the same status again.
    /// </summary>
    private sealed record Settled(JsonObject Json, string Namespace, string Name, long Generation, object? Made);

    private Dictionary<string, Settled> SettledOf(KubeResource resource)
    {
        if (!_settled.TryGetValue(resource, out var settled))
        {
            _settled[resource] = settled = new Dictionary<string, Settled>(StringComparer.Ordinal);
        }

        return settled;
    }

    /// <summary>What a pass recorded of this object, while the informer holds the same instance; else null.</summary>
    private static Settled? Unchanged(Dictionary<string, Settled> settled, string key, JsonObject json) =>
        settled.TryGetValue(key, out var known) && ReferenceEquals(known.Json, json) ? known : null;

    private static (string Namespace, string Name, long Generation) IdentityOf(JsonObject json)
    {
        var meta = json["metadata"]!.AsObject();
        return (meta["namespace"].Text() ?? "", meta["name"].Text() ?? "", meta["generation"].Long() ?? 1);
    }

    /// <summary>
    /// Writes the object's status if it differs (<see cref="WriteIfChangedAsync"/>), and records it as in step when it is
    /// (written or found so); forgets it when the write failed, so that the next pass tries again. A written object comes
    /// back from the watch as a new instance, and is compared once more then.
    /// </summary>
    private async Task<bool> SettleAsync(
        Dictionary<string, Settled> settled, KubeResource resource, string version, string key, JsonObject json,
        (string Namespace, string Name, long Generation) identity, object? made, Func<JsonObject, JsonObject?> statusFor, CancellationToken ct)
    {
        var done = await GuardedAsync(resource, key, () => WriteIfChangedAsync(resource, version, key, json, identity.Generation, statusFor, ct)).ConfigureAwait(false);
        if (done && _active)
        {
            settled[key] = new Settled(json, identity.Namespace, identity.Name, identity.Generation, made);
        }
        else
        {
            settled.Remove(key);
        }

        return done;
    }

    /// <summary>Forgets the objects no longer in <paramref name="objects"/> (deleted), once they are more than a few.</summary>
    private static void Forget(Dictionary<string, Settled> settled, ImmutableDictionary<string, JsonObject> objects)
    {
        if (settled.Count > objects.Count + 64)
        {
            foreach (var key in settled.Keys.Where(k => !objects.ContainsKey(k)).ToList())
            {
                settled.Remove(key);
            }
        }
    }

    /// <summary>
    /// The route's status with Weft's parent entries made <paramref name="desired"/>: an entry already there is updated
    /// where it stands, one no longer wanted is dropped, a new one is appended; other controllers' entries and the order
    /// are kept, so that two controllers writing the same route agree on it instead of reordering it for ever. Null when
    /// nothing must be written: no entry of Weft's is there or wanted, or one there carries a newer generation than ours.
    /// </summary>
    private JsonObject? RouteStatusFor(JsonObject current, IReadOnlyList<RouteParentStatus> desired)
    {
        var existing = current["status"]?["parents"] as JsonArray ?? [];
        var own = existing.OfType<JsonObject>().Where(e => e["controllerName"].Text() == _controllerName).ToList();
        if (own.Count == 0 && desired.Count == 0)
        {
            return null;
        }

        // An entry written from a newer generation than ours (another replica's newer model) is left alone; one claiming
        // a generation the route has not reached is not a newer model's but a forgery (or a restored backup), and is
        // overwritten, or it would freeze the route's status for good.
        var routeGeneration = current["metadata"]?["generation"].Long() ?? 1;
        var ourGeneration = desired.SelectMany(p => p.Conditions).Select(c => c.ObservedGeneration).DefaultIfEmpty(0).Max();
        var theirGeneration = own.SelectMany(e => e["conditions"] as JsonArray ?? []).Select(c => c?["observedGeneration"].Long() ?? 0).DefaultIfEmpty(0).Max();
        if (desired.Count > 0 && theirGeneration > ourGeneration && theirGeneration <= routeGeneration)
        {
            return null;
        }

        var now = RouteStatusJson.Timestamp(_time.GetUtcNow());
        JsonObject Entry(RouteParentStatus parent, JsonObject? previous)
        {
            var conditions = new JsonArray();
            foreach (var c in parent.Conditions)
            {
                conditions.Add(RouteStatusJson.Condition(c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, previous?["conditions"] as JsonArray, now));
            }

            return new JsonObject
            {
                ["parentRef"] = RouteStatusJson.ParentRef(parent.ParentRef),
                ["controllerName"] = _controllerName,
                ["conditions"] = conditions,
            };
        }

        var parents = new JsonArray();
        var placed = new HashSet<RouteParentStatus>(ReferenceEqualityComparer.Instance);
        foreach (var entry in existing)
        {
            if (entry is not JsonObject e || e["controllerName"].Text() != _controllerName)
            {
                parents.Add(entry?.DeepClone());
                continue;
            }

            var match = desired.FirstOrDefault(p => !placed.Contains(p) && RouteStatusJson.ReadParentRef(e["parentRef"]) == p.ParentRef);
            if (match is not null)
            {
                placed.Add(match);
                parents.Add(Entry(match, e));
            }
        }

        foreach (var parent in desired.Where(p => !placed.Contains(p)))
        {
            if (parents.Count >= MaxParents)
            {
                // The CRD allows 32 entries; the API server would refuse the whole write. Other controllers' entries stay.
                Log.StatusWriteFailed(_logger, "status.parents", $"{current["metadata"]?["namespace"].Text()}/{current["metadata"]?["name"].Text()}", $"already {MaxParents} entries (the most the CRD allows): Weft's entry for {parent.ParentRef.Name} left out");
                break;
            }

            parents.Add(Entry(parent, null));
        }

        var status = (current["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        status["parents"] = parents;
        return status;
    }

    private JsonObject? MeshStatusFor(JsonObject current)
    {
        var status = (current["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        var previous = status["conditions"] as JsonArray ?? [];
        var generation = current["metadata"]?["generation"].Long() ?? 1;
        var now = RouteStatusJson.Timestamp(_time.GetUtcNow());
        var conditions = new JsonArray();
        foreach (var c in previous)
        {
            if (c?["type"].Text() != "Accepted")
            {
                conditions.Add(c!.DeepClone());
            }
        }

        conditions.Insert(0, RouteStatusJson.Condition("Accepted", "True", "Accepted", $"accepted by {_controllerName}", generation, previous, now));
        status["conditions"] = conditions;
        status["supportedFeatures"] = new JsonArray([.. _features.Select(f => (JsonNode)new JsonObject { ["name"] = f })]);
        return status;
    }

    /// <summary>One object's write, whatever its contents throw: the rest of the pass goes on.</summary>
    private async Task<bool> GuardedAsync(KubeResource resource, string key, Func<Task<bool>> write)
    {
        try
        {
            return await write().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StatusWriteFailed(_logger, resource.QualifiedName, key, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Writes the status <paramref name="statusFor"/> makes of the object, if it differs; false when the write failed. The
    /// status is for the object's <paramref name="generation"/>: one read again after a conflict at another generation is
    /// left for the pass that comes with its edit.
    /// </summary>
    private async Task<bool> WriteIfChangedAsync(KubeResource resource, string version, string key, JsonObject current, long generation, Func<JsonObject, JsonObject?> statusFor, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= MaxAttempts && _active; attempt++)
        {
            Interlocked.Increment(ref _compared);
            Comparing?.Invoke(resource, key);
            var status = statusFor(current);
            if (status is null || JsonNode.DeepEquals(current["status"] ?? new JsonObject(), status))
            {
                return true;
            }

            var body = current.DeepClone().AsObject();
            body["status"] = status;
            try
            {
                var written = await resource.ReplaceStatusAsync(_client, body, ct, version).ConfigureAwait(false);
                Interlocked.Increment(ref _writes);
                Log.StatusWritten(_logger, resource.QualifiedName, key, KubeResource.ResourceVersionOf(written));
                return true;
            }
            catch (HttpOperationException e) when (KubeErrors.IsConflict(e))
            {
                // Someone wrote in between (another controller's entry, or a spec change): merge into the newest object.
                Interlocked.Increment(ref _conflicts);
                var fresh = await resource.GetAsync(_client, resource.NamespaceOf(body), KubeResource.NameOf(body), ct, version).ConfigureAwait(false);
                if (fresh is null)
                {
                    return true;
                }

                if ((fresh["metadata"]?["generation"].Long() ?? 1) != generation)
                {
                    // Edited meanwhile: the status was made for the generation before (gamma-spec H1: never an older
                    // generation's status on a newer object). The watch brings the edit, and a pass with it.
                    return true;
                }

                current = fresh;
            }
            catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
            {
                return true; // deleted meanwhile
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or JsonException or TimeoutException)
            {
                Log.StatusWriteFailed(_logger, resource.QualifiedName, key, KubeErrors.Describe(e));
                return false;
            }
        }

        if (_active)
        {
            Log.StatusWriteFailed(_logger, resource.QualifiedName, key, $"still conflicting after {MaxAttempts} attempts; retrying later");
        }

        return !_active;
    }
}
