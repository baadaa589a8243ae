using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// The verbs over the store with the API server's semantics: server-set metadata, optimistic concurrency, generation,
/// the status subresource, and the per-kind rules the stand-in models (Namespace contents, Service cluster IPs, Pod
/// defaults, CRDs that make their resources served). Every verb runs under the store's lock, so it sees and leaves one
/// consistent state.
/// </summary>
internal sealed partial class ResourceRegistry
{
    private static readonly HashSet<string> UndeletableNamespaces = new(StringComparer.Ordinal) { "default", "kube-system", "kube-public" };

    private readonly ObjectStore _store;
    private readonly ResourceCatalog _catalog;
    private readonly ServiceIpAllocator _serviceIps;
    private readonly TimeProvider _time;

    public ResourceRegistry(ObjectStore store, ResourceCatalog catalog, ServiceIpAllocator serviceIps, TimeProvider time)
    {
        _store = store;
        _catalog = catalog;
        _serviceIps = serviceIps;
        _time = time;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    /// <summary>How long a created CRD stays not Established (its resource not served); zero: established at once.</summary>
    public TimeSpan CrdEstablishingDelay { get; set; }

    /// <summary>How long a deleted CRD stays Terminating, its custom resources deleted, before it goes; zero: at once.</summary>
    public TimeSpan CrdTerminatingDelay { get; set; }

    public string Now() => Timestamp(_time.GetUtcNow());

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public JsonObject Get(ResourceRequest r) =>
        ApiObjects.AtVersion(_store.Get(r.Type.StorageKey, r.Key) ?? throw ApiException.NotFound(r.Type, r.Name!), r.Type, r.Version);

    public bool NamespaceExists(string name) => _store.Get(BuiltInResources.Namespaces.StorageKey, new ObjectKey("", name)) is not null;

    /// <summary>
    /// The object of a create as admission sees it: at the request's version, its namespace set from the request (or
    /// removed for a cluster-scoped kind), the namespace existing, and the kind's scheme defaults applied. The name is
    /// not generated yet: kube-apiserver resolves <c>generateName</c> in the registry, after mutating admission.
    /// </summary>
    public JsonObject PrepareCreate(ResourceRequest r, JsonObject body)
    {
        var type = r.Type;
        CheckKind(r, body);
        var obj = ApiObjects.AtVersion(body, type, r.Version);
        var meta = ObjectMeta.Of(obj);
        if (type.Namespaced)
        {
            var ns = ObjectMeta.Namespace(obj);
            if (ns is { Length: > 0 } && ns != r.Namespace)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            meta["namespace"] = r.Namespace;
            if (!NamespaceExists(r.Namespace!))
            {
                throw ApiException.NotFound(BuiltInResources.Namespaces, r.Namespace!);
            }
        }
        else
        {
            meta.Remove("namespace");
        }

        SchemeDefaults(type, obj);
        if (type.IsCustom && IsTerminating(type))
        {
            throw ApiException.CreateWhileTerminating(type);
        }

        return obj;
    }

    public JsonObject Create(ResourceRequest r, JsonObject body)
    {
        var type = r.Type;
        lock (_store.Gate)
        {
            var obj = ApiObjects.AtVersion(PrepareCreate(r, body), type, type.StorageVersion);
            var meta = ObjectMeta.Of(obj);
            if (ObjectMeta.ResourceVersion(obj) is { Length: > 0 })
            {
                throw ApiException.BadRequest("resourceVersion should not be set on objects to be created");
            }

            var name = ObjectMeta.Name(obj);
            if (string.IsNullOrEmpty(name))
            {
                var prefix = ObjectMeta.String(obj, "generateName");
                if (string.IsNullOrEmpty(prefix))
                {
                    throw ApiException.Invalid(type, "", "metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
                }

                do
                {
                    name = prefix + RandomSuffix();
                }
                while (_store.Get(type.StorageKey, new ObjectKey(r.Namespace ?? "", name)) is not null);
                meta["name"] = name;
            }

            ValidateName(type, name);
            if (_store.Get(type.StorageKey, new ObjectKey(r.Namespace ?? "", name)) is not null)
            {
                throw ApiException.AlreadyExists(type, name);
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            if (type.TracksGeneration)
            {
                meta["generation"] = 1;
            }
            else
            {
                meta.Remove("generation");
            }

            if (type.HasStatus(r.Version) && type != BuiltInResources.Nodes)
            {
                // The status subresource's: a create sets none (the node strategy keeps a Node's, which its kubelet registers with).
                obj.Remove("status");
            }

            BeforeCreate(type, obj);
            if (r.DryRun)
            {
                // Everything a create does (names, defaults, allocations) but the write: the allocations are given back.
                ForgetAllocations(type, obj);
                return ApiObjects.AtVersion(obj, type, r.Version);
            }

            _store.Put(type.StorageKey, obj);
            AfterWrite(type, null, obj);
            return ApiObjects.AtVersion(obj, type, r.Version);
        }
    }

    public JsonObject Update(ResourceRequest r, JsonObject body)
    {
        var type = r.Type;
        CheckKind(r, body);
        lock (_store.Gate)
        {
            var existing = _store.Get(type.StorageKey, r.Key) ?? throw ApiException.NotFound(type, r.Name!);
            CheckIdentity(r, body, existing);
            var obj = ApiObjects.AtVersion(body, type, type.StorageVersion);
            var meta = ObjectMeta.Of(obj);
            var old = ObjectMeta.Of(existing);
            foreach (var field in new[] { "uid", "creationTimestamp", "namespace", "generation", "deletionTimestamp", "deletionGracePeriodSeconds" })
            {
                if (old[field] is { } value)
                {
                    meta[field] = value.DeepClone();
                }
                else
                {
                    meta.Remove(field);
                }
            }

            if (type.HasStatus(r.Version))
            {
                CopyStatus(from: existing, to: obj);
            }

            BeforeUpdate(type, existing, obj);
            if (type.TracksGeneration && !JsonNode.DeepEquals(WithoutMetadata(existing, type, r.Version), WithoutMetadata(obj, type, r.Version)))
            {
                meta["generation"] = ObjectMeta.Generation(existing) + 1;
            }

            return Write(r, existing, obj);
        }
    }

    /// <summary>PUT on <c>/status</c>: only <c>.status</c> is taken from the body (and its resourceVersion as a precondition).</summary>
    public JsonObject UpdateStatus(ResourceRequest r, JsonObject body)
    {
        lock (_store.Gate)
        {
            var existing = _store.Get(r.Type.StorageKey, r.Key) ?? throw ApiException.NotFound(r.Type, r.Name!);
            CheckIdentity(r, body, existing);
            var obj = existing.DeepClone().AsObject();
            CopyStatus(from: body, to: obj);
            return Write(r, existing, obj);
        }
    }

    /// <summary>
    /// The object of an update as admission sees it: at the request's version with the kind's scheme defaults (the
    /// server-set metadata is put back by <see cref="Update"/>).
    /// </summary>
    public static JsonObject PrepareUpdate(ResourceRequest r, JsonObject body)
    {
        CheckKind(r, body);
        var obj = ApiObjects.AtVersion(body, r.Type, r.Version);
        SchemeDefaults(r.Type, obj);
        return obj;
    }

    public JsonObject Patch(ResourceRequest r, string contentType, JsonNode? patch)
    {
        lock (_store.Gate)
        {
            var patched = Patched(r, contentType, patch);
            return r.Subresource == "status" ? UpdateStatus(r, patched) : Update(r, patched);
        }
    }

    /// <summary>The stored object with the patch applied (it keeps the stored resourceVersion, so writing it back is conditional).</summary>
    public JsonObject Patched(ResourceRequest r, string contentType, JsonNode? patch)
    {
        lock (_store.Gate)
        {
            var existing = _store.Get(r.Type.StorageKey, r.Key) ?? throw ApiException.NotFound(r.Type, r.Name!);
            var current = ApiObjects.AtVersion(existing, r.Type, r.Version);
            var patched = contentType switch
            {
                "application/merge-patch+json" => MergePatch.Apply(current, patch),
                "application/json-patch+json" => JsonPatch.Apply(current, patch),
                "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(current, patch as JsonObject ?? throw ApiException.BadRequest("strategic merge patch must be a JSON object")),
                _ => throw new InvalidOperationException(contentType),
            };
            if (patched is not JsonObject patchedObject)
            {
                throw ApiException.BadRequest("the patch did not produce an object");
            }

            return patchedObject;
        }
    }

    public JsonObject Delete(ResourceRequest r, JsonObject? options)
    {
        var type = r.Type;
        lock (_store.Gate)
        {
            var existing = _store.Get(type.StorageKey, r.Key) ?? throw ApiException.NotFound(type, r.Name!);
            if (options?["preconditions"] is JsonObject preconditions)
            {
                if (preconditions["uid"]?.GetValue<string>() is { } uid && uid != ObjectMeta.Uid(existing))
                {
                    throw ApiException.Conflict(type, r.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(existing)}");
                }

                if (preconditions["resourceVersion"]?.GetValue<string>() is { } rv && rv != ObjectMeta.ResourceVersion(existing))
                {
                    throw ApiException.Conflict(type, r.Name!, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {ObjectMeta.ResourceVersion(existing)}");
                }
            }

            if (type == BuiltInResources.Namespaces && UndeletableNamespaces.Contains(r.Name!))
            {
                throw new ApiException(403, "Forbidden", $"namespaces \"{r.Name}\" is forbidden: this namespace may not be deleted", new JsonObject { ["name"] = r.Name, ["kind"] = "namespaces" });
            }

            if (type == BuiltInResources.Pods)
            {
                var (marked, deleteNow) = GracefulDeletion(existing, options);
                if (!deleteNow)
                {
                    // Graceful deletion: the object stays, terminating, until its kubelet deletes it with grace 0.
                    if (!r.DryRun && !ReferenceEquals(marked, existing))
                    {
                        _store.Put(type.StorageKey, marked!);
                    }

                    return ApiObjects.AtVersion(marked!, type, r.Version);
                }

                if (marked is not null)
                {
                    // Period 0: the store writes the marked pod (a MODIFIED), then deletes it (a DELETED of that state).
                    existing = r.DryRun ? marked : _store.Put(type.StorageKey, marked);
                }
            }

            if (type == BuiltInResources.CustomResourceDefinitions && CrdTerminatingDelay > TimeSpan.Zero)
            {
                return ApiObjects.AtVersion(r.DryRun ? existing : MarkTerminating(existing), type, r.Version);
            }

            if (r.DryRun)
            {
                return type.DeleteReturnsObject
                    ? ApiObjects.AtVersion(existing, type, r.Version)
                    : StatusObjects.Success(type, r.Name!, ObjectMeta.Uid(existing));
            }

            if (type == BuiltInResources.Namespaces)
            {
                // Namespace finalization is immediate here: its contents go first, then the Namespace. The namespace
                // controller deletes each through its registry, so a Service's ClusterIPs are released as by its own delete.
                var services = _store.Items(BuiltInResources.Services.StorageKey).Where(s => ObjectMeta.Namespace(s) == r.Name).ToList();
                _store.RemoveNamespace(r.Name!);
                foreach (var service in services)
                {
                    AfterWrite(BuiltInResources.Services, service, null);
                }
            }

            var last = _store.Remove(type.StorageKey, r.Key)!;
            AfterWrite(type, existing, null);
            return type.DeleteReturnsObject
                ? ApiObjects.AtVersion(last, type, r.Version)
                : StatusObjects.Success(type, r.Name!, ObjectMeta.Uid(existing));
        }
    }

    private JsonObject Write(ResourceRequest r, JsonObject existing, JsonObject obj)
    {
        // A write that changes nothing is not a write: no new resourceVersion and no event, as etcd's GuaranteedUpdate.
        ObjectMeta.Of(obj)["resourceVersion"] = ObjectMeta.ResourceVersion(existing);
        if (JsonNode.DeepEquals(existing, obj) || r.DryRun)
        {
            return ApiObjects.AtVersion(r.DryRun ? obj : existing, r.Type, r.Version);
        }

        _store.Put(r.Type.StorageKey, obj);
        AfterWrite(r.Type, existing, obj);
        return ApiObjects.AtVersion(obj, r.Type, r.Version);
    }

    private static void CheckKind(ResourceRequest r, JsonObject body)
    {
        if (body["kind"] is JsonValue kind && kind.ToString() is { Length: > 0 } k && k != r.Type.Kind)
        {
            throw ApiException.BadRequest($"the API version in the data ({body["apiVersion"]}) does not match the expected API version ({r.Type.ApiVersion(r.Version)}) or kind {k} does not match {r.Type.Kind}");
        }
    }

    private static void CheckIdentity(ResourceRequest r, JsonObject body, JsonObject existing)
    {
        var name = ObjectMeta.Name(body);
        if (name != r.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({name}) does not match the name on the URL ({r.Name})");
        }

        if (r.Type.Namespaced && ObjectMeta.Namespace(body) is { Length: > 0 } ns && ns != r.Namespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (ObjectMeta.Uid(body) is { Length: > 0 } uid && uid != ObjectMeta.Uid(existing))
        {
            throw ApiException.Conflict(r.Type, r.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(existing)}");
        }

        if (ObjectMeta.ResourceVersion(body) is { Length: > 0 } rv && rv != ObjectMeta.ResourceVersion(existing))
        {
            throw ApiException.Modified(r.Type, r.Name!);
        }
    }

    private static void CopyStatus(JsonObject from, JsonObject to)
    {
        if (from["status"] is { } status)
        {
            to["status"] = status.DeepClone();
        }
        else
        {
            to.Remove("status");
        }
    }

    /// <summary>What a generation bump looks at: everything but metadata, and but status where status is a subresource.</summary>
    private static JsonObject WithoutMetadata(JsonObject obj, ResourceType type, string version)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove("metadata");
        copy.Remove("apiVersion");
        if (type.HasStatus(version))
        {
            copy.Remove("status");
        }

        return copy;
    }

    private static void ValidateName(ResourceType type, string name)
    {
        var valid = type == BuiltInResources.Namespaces || type == BuiltInResources.Services
            ? name.Length <= 63 && Label().IsMatch(name)
            : name.Length <= 253 && Subdomain().IsMatch(name);
        if (!valid)
        {
            throw ApiException.Invalid(type, name, "metadata.name", "FieldValueInvalid",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 {(type == BuiltInResources.Namespaces || type == BuiltInResources.Services ? "label" : "subdomain")} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }
}
