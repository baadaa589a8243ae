using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Weft.Api.Model;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// One resource as the API server serves it (kind, group, the versions Weft reads, plural, scope) and the REST verbs on
/// its objects as JSON, through the official client's custom-object operations (which serve core/v1 too: the client
/// turns group "" into <c>/api/v1</c>). JSON in, JSON out: nothing of an object is lost on the way, and every object
/// comes back with its <c>apiVersion</c> and <c>kind</c> set (list items lack them), so that the same
/// <see cref="Weft.Api.ManifestLoader"/> reads it as reads a manifests directory. Two resources are equal when they name
/// the same <see cref="QualifiedName"/>.
/// </summary>
public sealed class KubeResource : IEquatable<KubeResource>
{
    // Kinds without a namespace (the rest are namespaced, as every kind Weft reads but these is).
    private static readonly HashSet<string> ClusterScoped = new(StringComparer.Ordinal)
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
        "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService", "GatewayClass", "XMesh",
    };

    public KubeResource(string kind, string group, IReadOnlyList<string> versions, string plural, bool namespaced)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentOutOfRangeException.ThrowIfZero(versions.Count);
        Kind = kind;
        Group = group;
        Versions = versions;
        Plural = plural;
        Namespaced = namespaced;
    }

    public string Kind { get; }

    /// <summary>The API group; "" for core/v1.</summary>
    public string Group { get; }

    /// <summary>The preferred version (the first of <see cref="Versions"/>).</summary>
    public string Version => Versions[0];

    /// <summary>
    /// The versions Weft reads, in order of preference: a cluster with older CRDs serves only the older version (TCPRoute
    /// v1alpha2 before Gateway API 1.5), one with newer CRDs may no longer serve it.
    /// </summary>
    public IReadOnlyList<string> Versions { get; }

    /// <summary>The resource name in URLs, e.g. <c>httproutes</c>.</summary>
    public string Plural { get; }

    public bool Namespaced { get; }

    public string ApiVersion => ApiVersionOf(Version);

    public string ApiVersionOf(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    /// <summary>The resource as RBAC and error messages name it: <c>httproutes.gateway.networking.k8s.io</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly KubeResource Namespaces = new("Namespace", "", ["v1"], "namespaces", false);
    public static readonly KubeResource ServiceAccounts = new("ServiceAccount", "", ["v1"], "serviceaccounts", true);
    public static readonly KubeResource Services = new("Service", "", ["v1"], "services", true);
    public static readonly KubeResource Pods = new("Pod", "", ["v1"], "pods", true);
    public static readonly KubeResource Nodes = new("Node", "", ["v1"], "nodes", false);
    public static readonly KubeResource Leases = new("Lease", "coordination.k8s.io", ["v1"], "leases", true);
    public static readonly KubeResource EndpointSlices = new("EndpointSlice", "discovery.k8s.io", ["v1"], "endpointslices", true);
    public static readonly KubeResource HttpRoutes = new("HTTPRoute", GatewayApi.Group, ["v1", "v1beta1"], "httproutes", true);
    public static readonly KubeResource GrpcRoutes = new("GRPCRoute", GatewayApi.Group, ["v1"], "grpcroutes", true);
    public static readonly KubeResource TcpRoutes = new("TCPRoute", GatewayApi.Group, ["v1", "v1alpha2"], "tcproutes", true);
    public static readonly KubeResource TlsRoutes = new("TLSRoute", GatewayApi.Group, ["v1", "v1alpha2"], "tlsroutes", true);
    public static readonly KubeResource ReferenceGrants = new("ReferenceGrant", GatewayApi.Group, ["v1", "v1beta1"], "referencegrants", true);
    public static readonly KubeResource Meshes = new("XMesh", GatewayApi.ExperimentalGroup, ["v1alpha1"], "xmeshes", false);
    public static readonly KubeResource AuthorizationPolicies = new(AuthorizationPolicy.KindName, WeftPolicyApi.Group, [WeftPolicyApi.Version], "authorizationpolicies", true);
    public static readonly KubeResource XBackends = new(XBackend.KindName, GatewayApi.ExperimentalGroup, ["v1alpha1"], "xbackends", true);
    public static readonly KubeResource BackendTlsPolicies = new(BackendTlsPolicy.KindName, GatewayApi.Group, ["v1"], "backendtlspolicies", true);
    public static readonly KubeResource BackendTrafficPolicies = new(XBackendTrafficPolicy.KindName, GatewayApi.ExperimentalGroup, ["v1alpha1"], "xbackendtrafficpolicies", true);
    public static readonly KubeResource ConfigMaps = new("ConfigMap", "", ["v1"], "configmaps", true);
    public static readonly KubeResource MutatingWebhookConfigurations = new("MutatingWebhookConfiguration", "admissionregistration.k8s.io", ["v1"], "mutatingwebhookconfigurations", false);

    /// <summary>
    /// Everything the translator reads cluster-wide (DESIGN: Namespaces, Services, EndpointSlices, Pods, ServiceAccounts,
    /// the routes, ReferenceGrant, XMesh, Weft's AuthorizationPolicy, and issue 17's XBackend, BackendTLSPolicy and
    /// XBackendTrafficPolicy). ConfigMaps are not among them: only those a CA reference names are read, one by one
    /// (<see cref="ReferencedConfigMaps"/>).
    /// </summary>
    public static readonly IReadOnlyList<KubeResource> MeshInputs =
    [
        Namespaces, ServiceAccounts, Services, Pods, EndpointSlices, HttpRoutes, GrpcRoutes, TcpRoutes, TlsRoutes, ReferenceGrants, Meshes, AuthorizationPolicies,
        XBackends, BackendTlsPolicies, BackendTrafficPolicies,
    ];

    /// <summary>The routes whose <c>status.parents</c> the controller writes.</summary>
    public static readonly IReadOnlyList<KubeResource> Routes = [HttpRoutes, GrpcRoutes, TcpRoutes, TlsRoutes];

    public static KubeResource? ForKind(string kind) => MeshInputs.FirstOrDefault(r => r.Kind == kind);

    /// <summary>The resource of <paramref name="obj"/> from its <c>apiVersion</c> and <c>kind</c> (the plural as kubectl guesses it without discovery).</summary>
    public static KubeResource? Of(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj["apiVersion"].Text() is not { } apiVersion || obj["kind"].Text() is not { Length: > 0 } kind)
        {
            return null;
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return version.Length == 0 ? null : new KubeResource(kind, group, [version], PluralOf(kind), !ClusterScoped.Contains(kind));
    }

    /// <summary>The lower-case plural: <c>httproutes</c>, <c>backendtlspolicies</c>, <c>xmeshes</c>, <c>gatewayclasses</c>.</summary>
    public static string PluralOf(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var lower = kind.ToLowerInvariant();
        return lower.EndsWith('y') && !lower.EndsWith("ey", StringComparison.Ordinal) ? lower[..^1] + "ies"
            : lower.EndsWith('s') || lower.EndsWith('x') || lower.EndsWith("sh", StringComparison.Ordinal) || lower.EndsWith("ch", StringComparison.Ordinal) ? lower + "es"
            : lower + "s";
    }

    public static string NameOf(JsonObject obj) => obj?["metadata"]?["name"].Text() ?? "";

    public static string ResourceVersionOf(JsonObject obj) => obj?["metadata"]?["resourceVersion"].Text() ?? "";

    /// <summary>The object's namespace ("default" when a namespaced object names none), or null for a cluster-scoped one.</summary>
    public string? NamespaceOf(JsonObject obj) => Namespaced ? obj?["metadata"]?["namespace"].Text() ?? "default" : null;

    /// <summary><c>plural.group/namespace/name</c>: the object's identity across resources.</summary>
    public string KeyOf(JsonObject obj) => NamespaceOf(obj) is { } ns ? $"{QualifiedName}/{ns}/{NameOf(obj)}" : $"{QualifiedName}/{NameOf(obj)}";

    /// <summary>
    /// One page of the collection (across all namespaces, or as <paramref name="scope"/> says) at <paramref name="version"/>,
    /// from <paramref name="continueToken"/> when given.
    /// </summary>
    public async Task<KubeList> ListAsync(IKubernetes client, string version, int? limit, string? continueToken, CancellationToken ct, KubeListScope? scope = null)
    {
        using var response = await List(client, version, scope ?? KubeListScope.All, watch: null, resourceVersion: null, limit, continueToken, timeoutSeconds: null, ct).ConfigureAwait(false);
        var list = Parse(response.Body);
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i => WithType(i.DeepClone().AsObject(), version)).ToList();
        var meta = list["metadata"];
        return new KubeList(items, meta?["resourceVersion"].Text() ?? "", meta?["continue"].Text() is { Length: > 0 } next ? next : null);
    }

    /// <summary>Every object of the collection, page after page, at the preferred version.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAllAsync(IKubernetes client, CancellationToken ct)
    {
        var items = new List<JsonObject>();
        string? next = null;
        do
        {
            var page = await ListAsync(client, Version, limit: 500, next, ct).ConfigureAwait(false);
            items.AddRange(page.Items);
            next = page.Continue;
        }
        while (next is not null);

        return items;
    }

    /// <summary>
    /// Watches the collection (or <paramref name="scope"/> of it) from <paramref name="resourceVersion"/>, with bookmarks. An
    /// ERROR event (410 Gone for an expired version) reaches <paramref name="onError"/> as a <see cref="KubernetesException"/>,
    /// as the client reports it.
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, JsonObject Object)> WatchAsync(
        IKubernetes client, string version, KubeListScope scope, string resourceVersion, int timeoutSeconds, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var response = List(client, version, scope, watch: true, resourceVersion, limit: null, continueToken: null, timeoutSeconds, ct);
#pragma warning disable CS0618 // WatchAsync on a list response is the client's watch for custom objects too.
        await foreach (var (type, element) in response.WatchAsync<JsonElement, JsonElement>(onError, ct).ConfigureAwait(false))
#pragma warning restore CS0618
        {
            yield return (type, WithType(Parse(element), version));
        }
    }

    /// <summary>
    /// POST; with <paramref name="dryRun"/> (<c>?dryRun=All</c>) the server admits the object (mutating webhooks
    /// included) and answers with what it would have stored, storing nothing.
    /// </summary>
    public async Task<JsonObject> CreateAsync(IKubernetes client, JsonObject body, CancellationToken ct, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ns = NamespaceOf(body);
        var mode = dryRun ? "All" : null;
        using var response = ns is null
            ? await client.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, Plural, dryRun: mode, cancellationToken: ct).ConfigureAwait(false)
            : await client.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, ns, Plural, dryRun: mode, cancellationToken: ct).ConfigureAwait(false);
        return Parse(response.Body);
    }

    /// <summary>The object, or null when there is none.</summary>
    public async Task<JsonObject?> GetAsync(IKubernetes client, string? ns, string name, CancellationToken ct, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var response = ns is null || !Namespaced
                ? await client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Group, version ?? Version, Plural, name, cancellationToken: ct).ConfigureAwait(false)
                : await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Group, version ?? Version, ns, Plural, name, cancellationToken: ct).ConfigureAwait(false);
            return WithType(Parse(response.Body), version ?? Version);
        }
        catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }

    /// <summary>PUT with the body's <c>metadata.resourceVersion</c> (409 Conflict when someone wrote in between).</summary>
    public async Task<JsonObject> ReplaceAsync(IKubernetes client, JsonObject body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ns = NamespaceOf(body);
        var name = NameOf(body);
        using var response = ns is null
            ? await client.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, Plural, name, cancellationToken: ct).ConfigureAwait(false)
            : await client.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, ns, Plural, name, cancellationToken: ct).ConfigureAwait(false);
        return Parse(response.Body);
    }

    /// <summary>PUT of the status subresource at <paramref name="version"/> (the body's apiVersion is made to match).</summary>
    public async Task<JsonObject> ReplaceStatusAsync(IKubernetes client, JsonObject body, CancellationToken ct, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        version ??= Version;
        body["apiVersion"] = ApiVersionOf(version);
        var ns = NamespaceOf(body);
        var name = NameOf(body);
        using var response = ns is null
            ? await client.CustomObjects.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, Group, version, Plural, name, cancellationToken: ct).ConfigureAwait(false)
            : await client.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, Group, version, ns, Plural, name, cancellationToken: ct).ConfigureAwait(false);
        return Parse(response.Body);
    }

    /// <summary>Creates the object unless one of its name exists (whatever that one holds); true when this call made it.</summary>
    public async Task<bool> CreateIfMissingAsync(IKubernetes client, JsonObject body, CancellationToken ct)
    {
        try
        {
            await CreateAsync(client, body, ct).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (KubeErrors.IsConflict(e))
        {
            return false; // AlreadyExists
        }
    }

    /// <summary>
    /// <c>kubectl apply</c> of a whole object: created, or, when it exists, replaced at its current resourceVersion after
    /// <paramref name="keep"/> copies into the replacement what the server's copy must keep (its status, a Service's
    /// ClusterIP); a conflict reads it again, three times at most. When <paramref name="mayReplace"/> says the server's
    /// copy is not the caller's to replace, that copy is returned as it is, and nothing is written.
    /// </summary>
    public async Task<JsonObject> CreateOrReplaceAsync(
        IKubernetes client, JsonObject body, Action<JsonObject, JsonObject>? keep, CancellationToken ct, Predicate<JsonObject>? mayReplace = null)
    {
        try
        {
            return await CreateAsync(client, body, ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (KubeErrors.IsConflict(e))
        {
            // AlreadyExists: replace it.
        }

        for (var attempt = 0; ; attempt++)
        {
            var existing = await GetAsync(client, NamespaceOf(body), NameOf(body), ct).ConfigureAwait(false);
            if (existing is null)
            {
                return await CreateAsync(client, body, ct).ConfigureAwait(false);
            }

            if (mayReplace?.Invoke(existing) == false)
            {
                return existing;
            }

            var replacement = body.DeepClone().AsObject();
            replacement["metadata"]!["resourceVersion"] = ResourceVersionOf(existing);
            keep?.Invoke(existing, replacement);
            try
            {
                return await ReplaceAsync(client, replacement, ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (KubeErrors.IsConflict(e) && attempt < 3)
            {
            }
        }
    }

    /// <summary>
    /// DELETE (with <paramref name="options"/>: a grace period, preconditions); returns the resourceVersion of the deletion
    /// as the answer gives it ("" when it gives none), or null when the object was gone already.
    /// </summary>
    public async Task<string?> DeleteAsync(IKubernetes client, string? ns, string name, CancellationToken ct, k8s.Models.V1DeleteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var response = ns is null || !Namespaced
                ? await client.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, Plural, name, options, cancellationToken: ct).ConfigureAwait(false)
                : await client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, ns, Plural, name, options, cancellationToken: ct).ConfigureAwait(false);
            var answer = Parse(response.Body);
            return answer["kind"].Text() == "Status" ? "" : ResourceVersionOf(answer);
        }
        catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }

    /// <summary>The API server's current resourceVersion (a list's, read from the quorum).</summary>
    public static async Task<string> CurrentResourceVersionAsync(IKubernetes client, CancellationToken ct) =>
        (await Namespaces.ListAsync(client, "v1", limit: 1, continueToken: null, ct).ConfigureAwait(false)).ResourceVersion;

    public bool Equals(KubeResource? other) => other is not null && other.QualifiedName == QualifiedName;

    public override bool Equals(object? obj) => Equals(obj as KubeResource);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(QualifiedName);

    public override string ToString() => QualifiedName;

    // /apis/GROUP/VERSION/PLURAL lists a namespaced kind across all namespaces as it lists a cluster-scoped one;
    // /apis/GROUP/VERSION/namespaces/NS/PLURAL one namespace's.
    private Task<HttpOperationResponse<JsonElement>> List(
        IKubernetes client, string version, KubeListScope scope, bool? watch, string? resourceVersion, int? limit, string? continueToken, int? timeoutSeconds, CancellationToken ct) =>
        scope.Namespace is { } ns && Namespaced
            ? client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(
                Group, version, ns, Plural, allowWatchBookmarks: watch, continueParameter: continueToken, fieldSelector: scope.FieldSelector, limit: limit,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: watch, cancellationToken: ct)
            : client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonElement>(
                Group, version, Plural, allowWatchBookmarks: watch, continueParameter: continueToken, fieldSelector: scope.FieldSelector, limit: limit,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: watch, cancellationToken: ct);

    private JsonObject WithType(JsonObject obj, string version)
    {
        obj["apiVersion"] = ApiVersionOf(version);
        obj["kind"] = Kind;
        return obj;
    }

    private static JsonObject Parse(JsonElement body) => JsonNode.Parse(body.GetRawText())?.AsObject() ?? [];
}
