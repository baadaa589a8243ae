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
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.Reader.ReadAsync(ct).ConfigureAwait(false);
                if (!_active || !_source.Synced)
                {
                    continue;
                }

                // Write from a model that has seen at least what the informers had when woken, so a route edited a moment
                // ago is not given the status of its previous generation.
                await _waitForStore(_storeVersion(), ct).ConfigureAwait(false);
                await ReconcileAsync(ct).ConfigureAwait(false);
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

    /// <summary>Compares every route's and XMesh's status with what it should be and writes the differences.</summary>
    internal async Task ReconcileAsync(CancellationToken ct)
    {
        var model = _model().Model;
        var statuses = new Dictionary<(string, string, string), RouteStatus>();
        foreach (var status in model.Statuses)
        {
            statuses[(status.Kind, status.Namespace, status.Name)] = status;
        }

        foreach (var resource in KubeResource.Routes)
        {
            var informer = _source.InformerOf(resource);
            var version = informer.ServedVersion;
            foreach (var (key, json) in informer.Objects)
            {
                if (!_active)
                {
                    return;
                }

                var meta = json["metadata"]!.AsObject();
                var ns = meta["namespace"]?.GetValue<string>() ?? "";
                var name = meta["name"]?.GetValue<string>() ?? "";
                var desired = statuses.GetValueOrDefault((resource.Kind, ns, name))?.Parents ?? [];
                await WriteIfChangedAsync(resource, version, key, json, current => RouteStatusFor(current, desired), ct).ConfigureAwait(false);
            }
        }

        var meshes = _source.InformerOf(KubeResource.Meshes);
        foreach (var (key, json) in meshes.Objects)
        {
            if (!_active)
            {
                return;
            }

            if ((json["spec"] as JsonObject)?["controllerName"]?.GetValue<string>() == _controllerName)
            {
                await WriteIfChangedAsync(KubeResource.Meshes, meshes.ServedVersion, key, json, MeshStatusFor, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The route's status with Weft's parent entries replaced by <paramref name="desired"/>, the others kept.</summary>
    private JsonObject RouteStatusFor(JsonObject current, IReadOnlyList<RouteParentStatus> desired)
    {
        var status = (current["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        var existing = status["parents"] as JsonArray ?? [];
        var parents = new JsonArray();
        foreach (var entry in existing)
        {
            if (entry?["controllerName"]?.GetValue<string>() != _controllerName)
            {
                parents.Add(entry!.DeepClone());
            }
        }

        var now = Timestamp(_time.GetUtcNow());
        foreach (var parent in desired)
        {
            var previous = existing.FirstOrDefault(e => e?["controllerName"]?.GetValue<string>() == _controllerName && SameParentRef(e["parentRef"], parent.ParentRef));
            var conditions = new JsonArray();
            foreach (var c in parent.Conditions)
            {
                conditions.Add(Condition(c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, previous?["conditions"] as JsonArray, now));
            }

            parents.Add(new JsonObject
            {
                ["parentRef"] = ParentRefJson(parent.ParentRef),
                ["controllerName"] = _controllerName,
                ["conditions"] = conditions,
            });
        }

        status["parents"] = parents;
        return status;
    }

    private JsonObject MeshStatusFor(JsonObject current)
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

    private async Task WriteIfChangedAsync(KubeResource resource, string version, string key, JsonObject current, Func<JsonObject, JsonObject> statusFor, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var status = statusFor(current);
            if (JsonNode.DeepEquals(current["status"] ?? new JsonObject(), status))
            {
                return;
            }

            var body = current.DeepClone().AsObject();
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
                return;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
            {
                // Someone wrote in between (another controller's entry, or a spec change): merge into the newest object.
                Interlocked.Increment(ref _conflicts);
                var fresh = await GetAsync(resource, version, ns, name, ct).ConfigureAwait(false);
                if (fresh is null)
                {
                    return;
                }

                current = fresh;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                return; // deleted meanwhile
            }
        }

        Log.StatusWriteFailed(_logger, resource.QualifiedName, key, $"still conflicting after {MaxAttempts} attempts; will retry on the next change");
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
