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
/// Weft's <c>controllerName</c> (gamma-spec H1; entries of other controllers are kept as they are), and the status of
/// the XMesh objects that name Weft's controller (Accepted, and <c>supportedFeatures</c>). Writes go through the status
/// subresource with the object's resourceVersion, only when the status would change; a 409 Conflict re-reads the object
/// and merges again. A condition keeps its <c>lastTransitionTime</c> while its status does not change.
/// </summary>
public sealed class KubeStatusWriter : IAsyncDisposable
{
    private const int MaxAttempts = 5;

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

    /// <summary>How often everything is compared again without a change to wake the writer.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether this replica writes (it holds the Lease). Setting it to true reconciles everything at once.</summary>
    public bool Active
    {
        get => _active;
        set
        {
            _active = value;
            Wake();
        }
    }

    /// <summary>Status writes made (each one a PUT that succeeded).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Writes refused with 409 Conflict (then merged again and retried).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    public void Start()
    {
        foreach (var informer in _source.Informers)
        {
            if (IsStatusKind(informer.Resource))
            {
                informer.Changed += OnObjectsChanged;
            }
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
        _models = Task.Run(() => FollowModelsAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var informer in _source.Informers)
        {
            informer.Changed -= OnObjectsChanged;
        }

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
    }

    private static bool IsStatusKind(KubeResource resource) => KubeResource.Routes.Contains(resource) || resource == KubeResource.Meshes;

    private void OnObjectsChanged(KubeInformer informer) => Wake();

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task FollowModelsAsync(CancellationToken ct)
    {
        var published = _model();
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
        // Woken by a change; also every ResyncInterval (a write refused for good, or an edit by hand, is put right without a
        // change to wake it), and sooner, backing off, while writes fail.
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
                if (!_active || !_source.Synced)
                {
                    continue;
                }

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
                Log.StatusWriteFailed(_logger, "status", "*", KubeInformer.Describe(e));
            }
        }
    }

    /// <summary>
    /// Compares every route's and XMesh's status with what it should be and writes the differences. A failure on one
    /// object is logged and leaves the rest to be written; true when every object is as it should be (or was left for a
    /// newer model), false when some write failed and a retry is due.
    /// </summary>
    internal async Task<bool> ReconcileAsync(CancellationToken ct)
    {
        var model = _model().Model;
        var statuses = new Dictionary<(string, string, string), RouteStatus>();
        foreach (var status in model.Statuses)
        {
            statuses[(status.Kind, status.Namespace, status.Name)] = status;
        }

        var complete = true;
        foreach (var resource in KubeResource.Routes)
        {
            var informer = _source.InformerOf(resource);
            var (objects, version, _) = informer.Snapshot;
            foreach (var (key, json) in objects)
            {
                if (!_active)
                {
                    return true;
                }

                var meta = json["metadata"]!.AsObject();
                var ns = meta["namespace"]?.GetValue<string>() ?? "";
                var name = meta["name"]?.GetValue<string>() ?? "";
                var generation = meta["generation"]?.GetValue<long>() ?? 1;
                var status = statuses.GetValueOrDefault((resource.Kind, ns, name));
                if (status is not null && status.Generation != generation)
                {
                    // The model has not seen this generation yet: its own wake-up comes when it has (gamma-spec H1: never
                    // write an older generation's status onto a newer object).
                    continue;
                }

                var desired = status?.Parents ?? [];
                complete &= await WriteIfChangedAsync(resource, version, key, json, current => RouteStatusFor(current, desired), ct).ConfigureAwait(false);
            }
        }

        var (meshes, meshVersion, _) = _source.InformerOf(KubeResource.Meshes).Snapshot;
        foreach (var (key, json) in meshes)
        {
            if (!_active)
            {
                return true;
            }

            if ((json["spec"] as JsonObject)?["controllerName"]?.GetValue<string>() == _controllerName)
            {
                complete &= await WriteIfChangedAsync(KubeResource.Meshes, meshVersion, key, json, MeshStatusFor, ct).ConfigureAwait(false);
            }
        }

        return complete;
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
        var own = existing.OfType<JsonObject>().Where(e => e["controllerName"]?.GetValue<string>() == _controllerName).ToList();
        if (own.Count == 0 && desired.Count == 0)
        {
            return null;
        }

        var ourGeneration = desired.SelectMany(p => p.Conditions).Select(c => c.ObservedGeneration).DefaultIfEmpty(0).Max();
        var theirGeneration = own.SelectMany(e => e["conditions"] as JsonArray ?? []).Select(c => c?["observedGeneration"]?.GetValue<long>() ?? 0).DefaultIfEmpty(0).Max();
        if (desired.Count > 0 && theirGeneration > ourGeneration)
        {
            return null; // written from a newer model (another replica's): ours is stale
        }

        var now = Timestamp(_time.GetUtcNow());
        JsonObject Entry(RouteParentStatus parent, JsonObject? previous)
        {
            var conditions = new JsonArray();
            foreach (var c in parent.Conditions)
            {
                conditions.Add(Condition(c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, previous?["conditions"] as JsonArray, now));
            }

            return new JsonObject
            {
                ["parentRef"] = ParentRefJson(parent.ParentRef),
                ["controllerName"] = _controllerName,
                ["conditions"] = conditions,
            };
        }

        var parents = new JsonArray();
        var placed = new HashSet<RouteParentStatus>(ReferenceEqualityComparer.Instance);
        foreach (var entry in existing)
        {
            if (entry is not JsonObject e || e["controllerName"]?.GetValue<string>() != _controllerName)
            {
                parents.Add(entry?.DeepClone());
                continue;
            }

            var match = desired.FirstOrDefault(p => !placed.Contains(p) && SameParentRef(e["parentRef"], p.ParentRef));
            if (match is not null)
            {
                placed.Add(match);
                parents.Add(Entry(match, e));
            }
        }

        foreach (var parent in desired.Where(p => !placed.Contains(p)))
        {
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
        var generation = current["metadata"]?["generation"]?.GetValue<long>() ?? 1;
        var now = Timestamp(_time.GetUtcNow());
        var conditions = new JsonArray();
        foreach (var c in previous)
        {
            if (c?["type"]?.GetValue<string>() != "Accepted")
            {
                conditions.Add(c!.DeepClone());
            }
        }

        conditions.Insert(0, Condition("Accepted", "True", "Accepted", $"accepted by {_controllerName}", generation, previous, now));
        status["conditions"] = conditions;
        status["supportedFeatures"] = new JsonArray([.. _features.Select(f => (JsonNode)new JsonObject { ["name"] = f })]);
        return status;
    }

    private static JsonObject Condition(string type, string status, string reason, string message, long generation, JsonArray? previous, string now)
    {
        var before = previous?.FirstOrDefault(p => p?["type"]?.GetValue<string>() == type);
        var transition = before?["status"]?.GetValue<string>() == status && before["lastTransitionTime"]?.GetValue<string>() is { } kept ? kept : now;
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["observedGeneration"] = generation,
            ["lastTransitionTime"] = transition,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    /// <summary>Writes the status <paramref name="statusFor"/> makes of the object, if it differs; false when the write failed.</summary>
    private async Task<bool> WriteIfChangedAsync(KubeResource resource, string version, string key, JsonObject current, Func<JsonObject, JsonObject?> statusFor, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= MaxAttempts && _active; attempt++)
        {
            var status = statusFor(current);
            if (status is null || JsonNode.DeepEquals(current["status"] ?? new JsonObject(), status))
            {
                return true;
            }

            var body = current.DeepClone().AsObject();
            body["apiVersion"] = resource.ApiVersionOf(version); // the URL's version, whatever the cached object said
            body["status"] = status;
            var meta = body["metadata"]!.AsObject();
            var ns = meta["namespace"]?.GetValue<string>();
            var name = meta["name"]!.GetValue<string>();
            try
            {
                using var response = ns is null
                    ? await _client.CustomObjects.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, resource.Group, version, resource.Plural, name, cancellationToken: ct).ConfigureAwait(false)
                    : await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, resource.Group, version, ns, resource.Plural, name, cancellationToken: ct).ConfigureAwait(false);
                Interlocked.Increment(ref _writes);
                var written = response.Body.TryGetProperty("metadata", out var m) && m.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "";
                Log.StatusWritten(_logger, resource.QualifiedName, key, written);
                return true;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
            {
                // Someone wrote in between (another controller's entry, or a spec change): merge into the newest object.
                Interlocked.Increment(ref _conflicts);
                var fresh = await GetAsync(resource, version, ns, name, ct).ConfigureAwait(false);
                if (fresh is null)
                {
                    return true;
                }

                current = fresh;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                return true; // deleted meanwhile
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or JsonException or TimeoutException)
            {
                Log.StatusWriteFailed(_logger, resource.QualifiedName, key, KubeInformer.Describe(e));
                return false;
            }
        }

        if (_active)
        {
            Log.StatusWriteFailed(_logger, resource.QualifiedName, key, $"still conflicting after {MaxAttempts} attempts; retrying later");
        }

        return !_active;
    }

    private async Task<JsonObject?> GetAsync(KubeResource resource, string version, string? ns, string name, CancellationToken ct)
    {
        try
        {
            using var response = ns is null
                ? await _client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonElement>(resource.Group, version, resource.Plural, name, cancellationToken: ct).ConfigureAwait(false)
                : await _client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(resource.Group, version, ns, resource.Plural, name, cancellationToken: ct).ConfigureAwait(false);
            return JsonNode.Parse(response.Body.GetRawText())?.AsObject();
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static bool SameParentRef(JsonNode? json, ParentReference p) =>
        json is JsonObject o
        && (o["group"]?.GetValue<string>() ?? GatewayApi.Group) == p.Group
        && (o["kind"]?.GetValue<string>() ?? "Gateway") == p.Kind
        && o["namespace"]?.GetValue<string>() == p.Namespace
        && o["name"]?.GetValue<string>() == p.Name
        && o["sectionName"]?.GetValue<string>() == p.SectionName
        && (o["port"]?.GetValue<int>()) == p.Port;

    /// <summary>The parentRef as the spec has it, defaults included (H1: copied from the spec).</summary>
    private static JsonObject ParentRefJson(ParentReference p)
    {
        var json = new JsonObject { ["group"] = p.Group, ["kind"] = p.Kind };
        if (p.Namespace is not null)
        {
            json["namespace"] = p.Namespace;
        }

        json["name"] = p.Name;
        if (p.SectionName is not null)
        {
            json["sectionName"] = p.SectionName;
        }

        if (p.Port is int port)
        {
            json["port"] = port;
        }

        return json;
    }

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
