using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.Api.Model;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// One kind the controller reads from the API server, and how to list and watch it across all namespaces through the
/// official client: built-in kinds through their typed operations, Gateway API kinds through the custom-object ones.
/// Every object comes back as JSON with its <c>apiVersion</c> and <c>kind</c> set (list items lack them), so that the
/// same <see cref="Weft.Api.ManifestLoader"/> reads it as reads a manifests directory.
/// </summary>
public sealed class KubeResource
{
    private readonly Func<IKubernetes, ListRequest, CancellationToken, Task<HttpOperationResponse<JsonElement>>> _list;

    private KubeResource(string kind, string group, IReadOnlyList<string> versions, string plural, bool namespaced, Func<IKubernetes, ListRequest, CancellationToken, Task<HttpOperationResponse<JsonElement>>> list)
    {
        Kind = kind;
        Group = group;
        Versions = versions;
        Plural = plural;
        Namespaced = namespaced;
        _list = list;
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

    public static readonly KubeResource Namespaces = Core("Namespace", "namespaces", false,
        (k, r, ct) => k.CoreV1.ListNamespaceWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly KubeResource ServiceAccounts = Core("ServiceAccount", "serviceaccounts", true,
        (k, r, ct) => k.CoreV1.ListServiceAccountForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly KubeResource Services = Core("Service", "services", true,
        (k, r, ct) => k.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly KubeResource Pods = Core("Pod", "pods", true,
        (k, r, ct) => k.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly KubeResource EndpointSlices = new("EndpointSlice", "discovery.k8s.io", ["v1"], "endpointslices", true,
        (k, r, ct) => AsJson(k.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)));

    public static readonly KubeResource HttpRoutes = Custom("HTTPRoute", GatewayApi.Group, ["v1", "v1beta1"], "httproutes", true);
    public static readonly KubeResource GrpcRoutes = Custom("GRPCRoute", GatewayApi.Group, ["v1"], "grpcroutes", true);
    public static readonly KubeResource TcpRoutes = Custom("TCPRoute", GatewayApi.Group, ["v1", "v1alpha2"], "tcproutes", true);
    public static readonly KubeResource TlsRoutes = Custom("TLSRoute", GatewayApi.Group, ["v1", "v1alpha2"], "tlsroutes", true);
    public static readonly KubeResource ReferenceGrants = Custom("ReferenceGrant", GatewayApi.Group, ["v1", "v1beta1"], "referencegrants", true);
    public static readonly KubeResource Meshes = Custom("XMesh", GatewayApi.ExperimentalGroup, ["v1alpha1"], "xmeshes", false);

    /// <summary>Everything the translator reads (DESIGN: Namespaces, Services, EndpointSlices, Pods, ServiceAccounts, the routes, ReferenceGrant, XMesh).</summary>
    public static readonly IReadOnlyList<KubeResource> MeshInputs =
        [Namespaces, ServiceAccounts, Services, Pods, EndpointSlices, HttpRoutes, GrpcRoutes, TcpRoutes, TlsRoutes, ReferenceGrants, Meshes];

    /// <summary>The routes whose <c>status.parents</c> the controller writes.</summary>
    public static readonly IReadOnlyList<KubeResource> Routes = [HttpRoutes, GrpcRoutes, TcpRoutes, TlsRoutes];

    public static KubeResource? ForKind(string kind) => MeshInputs.FirstOrDefault(r => r.Kind == kind);

    /// <summary>One page of the collection (across all namespaces) at <paramref name="version"/>, from <paramref name="continueToken"/> when given.</summary>
    public async Task<KubeList> ListAsync(IKubernetes client, string version, int limit, string? continueToken, CancellationToken ct)
    {
        using var response = await _list(client, new ListRequest { Version = version, Limit = limit, Continue = continueToken }, ct).ConfigureAwait(false);
        var body = response.Body;
        var meta = body.TryGetProperty("metadata", out var m) ? m : default;
        var items = new List<JsonObject>();
        if (body.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                items.Add(WithType(item, version));
            }
        }

        return new KubeList(
            items,
            meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "",
            meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("continue", out var next) && next.GetString() is { Length: > 0 } c ? c : null);
    }

    /// <summary>
    /// Watches the collection from <paramref name="resourceVersion"/>, with bookmarks. An ERROR event (410 Gone for an
    /// expired version) reaches <paramref name="onError"/> as a <see cref="KubernetesException"/>, as the client reports it.
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, JsonObject Object)> WatchAsync(
        IKubernetes client, string version, string resourceVersion, int timeoutSeconds, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListRequest { Version = version, Watch = true, Bookmarks = true, ResourceVersion = resourceVersion, TimeoutSeconds = timeoutSeconds };
#pragma warning disable CS0618 // WatchAsync on a list response is the client's watch for custom objects too.
        await foreach (var (type, element) in _list(client, request, ct).WatchAsync<JsonElement, JsonElement>(onError, ct).ConfigureAwait(false))
#pragma warning restore CS0618
        {
            yield return (type, WithType(element, version));
        }
    }

    private JsonObject WithType(JsonElement item, string version)
    {
        var obj = JsonNode.Parse(item.GetRawText())?.AsObject() ?? [];
        obj["apiVersion"] = ApiVersionOf(version);
        obj["kind"] = Kind;
        return obj;
    }

    private static KubeResource Core<TList>(string kind, string plural, bool namespaced, Func<IKubernetes, ListRequest, CancellationToken, Task<HttpOperationResponse<TList>>> list) =>
        new(kind, "", ["v1"], plural, namespaced, (k, r, ct) => AsJson(list(k, r, ct)));

    private static KubeResource Custom(string kind, string group, IReadOnlyList<string> versions, string plural, bool namespaced) =>
        new(kind, group, versions, plural, namespaced, async (k, r, ct) =>
        {
            // /apis/GROUP/VERSION/PLURAL lists a namespaced kind across all namespaces as it lists a cluster-scoped one.
            var response = await k.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonElement>(
                group, r.Version, plural, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit, resourceVersion: r.ResourceVersion,
                timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct).ConfigureAwait(false);
            return response;
        });

    /// <summary>A typed list response as JSON (a watch response passes through: its content is read line by line).</summary>
    private static async Task<HttpOperationResponse<JsonElement>> AsJson<TList>(Task<HttpOperationResponse<TList>> typed)
    {
        var response = await typed.ConfigureAwait(false);
        return new HttpOperationResponse<JsonElement>
        {
            Request = response.Request,
            Response = response.Response,
            Body = response.Body is null ? default : JsonDocument.Parse(KubernetesJson.Serialize(response.Body)).RootElement.Clone(),
        };
    }

    public override string ToString() => QualifiedName;

    private sealed record ListRequest
    {
        public required string Version { get; init; }
        public bool? Watch { get; init; }
        public bool? Bookmarks { get; init; }
        public string? ResourceVersion { get; init; }
        public int? Limit { get; init; }
        public string? Continue { get; init; }
        public int? TimeoutSeconds { get; init; }
    }
}
