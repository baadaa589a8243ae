using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace Weft.Cli.Local.Api;

/// <summary>
/// One kind as the API server serves it (<c>apiVersion</c>, <c>kind</c>, the resource's plural and scope), and the
/// REST verbs on its objects as JSON through the official client's custom-object operations (which serve core/v1 too:
/// the client turns group "" into <c>/api/v1</c>). JSON in, JSON out: nothing of an object is lost on the way.
/// </summary>
internal sealed record ApiKind(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    // Kinds without a namespace (the rest are namespaced, as every kind Weft reads but these is).
    private static readonly HashSet<string> ClusterScoped = new(StringComparer.Ordinal)
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
        "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService", "GatewayClass", "XMesh",
    };

    public static readonly ApiKind Namespaces = new("", "v1", "Namespace", "namespaces", false);
    public static readonly ApiKind ServiceAccounts = new("", "v1", "ServiceAccount", "serviceaccounts", true);
    public static readonly ApiKind Services = new("", "v1", "Service", "services", true);
    public static readonly ApiKind Pods = new("", "v1", "Pod", "pods", true);
    public static readonly ApiKind EndpointSlices = new("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true);

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The kind of <paramref name="obj"/> from its <c>apiVersion</c> and <c>kind</c> (the plural as kubectl guesses it without discovery).</summary>
    public static ApiKind? Of(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj["apiVersion"]?.GetValueKind() != JsonValueKind.String || obj["kind"]?.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var kind = obj["kind"]!.GetValue<string>();
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return version.Length == 0 || kind.Length == 0 ? null : new ApiKind(group, version, kind, PluralOf(kind), !ClusterScoped.Contains(kind));
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

    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public async Task<JsonObject> CreateAsync(IKubernetes client, JsonObject body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ns = NamespaceOf(body);
        using var response = ns is null
            ? await client.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, Plural, cancellationToken: ct)
            : await client.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, ns, Plural, cancellationToken: ct);
        return Read(response.Body);
    }

    public async Task<JsonObject?> GetAsync(IKubernetes client, string? ns, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var response = ns is null || !Namespaced
                ? await client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, Plural, name, cancellationToken: ct)
                : await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, ns, Plural, name, cancellationToken: ct);
            return Read(response.Body);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
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
            ? await client.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, Plural, name, cancellationToken: ct)
            : await client.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(body, Group, Version, ns, Plural, name, cancellationToken: ct);
        return Read(response.Body);
    }

    /// <summary>PUT of the status subresource.</summary>
    public async Task<JsonObject> ReplaceStatusAsync(IKubernetes client, JsonObject body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ns = NamespaceOf(body);
        var name = NameOf(body);
        using var response = ns is null
            ? await client.CustomObjects.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, Group, Version, Plural, name, cancellationToken: ct)
            : await client.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonElement>(body, Group, Version, ns, Plural, name, cancellationToken: ct);
        return Read(response.Body);
    }

    /// <summary>
    /// DELETE; returns the resourceVersion of the deletion as the answer gives it ("" when it gives none), or null when
    /// the object was gone already.
    /// </summary>
    public async Task<string?> DeleteAsync(IKubernetes client, string? ns, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            using var response = ns is null || !Namespaced
                ? await client.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, Plural, name, cancellationToken: ct)
                : await client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, ns, Plural, name, cancellationToken: ct);
            var answer = Read(response.Body);
            return answer["kind"]?.GetValue<string>() == "Status" ? "" : ResourceVersionOf(answer);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every object of the kind (all namespaces) matching <paramref name="labelSelector"/>, and the list's resourceVersion.</summary>
    public async Task<(IReadOnlyList<JsonObject> Items, string ResourceVersion)> ListAsync(IKubernetes client, string? labelSelector, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, Plural, labelSelector: labelSelector, cancellationToken: ct);
        var list = Read(response.Body);
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i =>
        {
            var item = i.DeepClone().AsObject();
            item["apiVersion"] = ApiVersion;
            item["kind"] = Kind;
            return item;
        }).ToList();
        return (items, list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "");
    }

    /// <summary>The API server's current resourceVersion (a list's, read from the quorum).</summary>
    public static async Task<string> CurrentResourceVersionAsync(IKubernetes client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.CoreV1.ListNamespaceWithHttpMessagesAsync(limit: 1, cancellationToken: ct);
        return response.Body.Metadata?.ResourceVersion ?? "";
    }

    public string? NamespaceOf(JsonObject obj) => Namespaced ? obj["metadata"]?["namespace"]?.GetValue<string>() ?? "default" : null;

    public static string NameOf(JsonObject obj) => obj?["metadata"]?["name"]?.GetValue<string>() ?? "";

    public static string ResourceVersionOf(JsonObject obj) => obj?["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";

    public string KeyOf(JsonObject obj) => NamespaceOf(obj) is { } ns ? $"{ToString()}/{ns}/{NameOf(obj)}" : $"{ToString()}/{NameOf(obj)}";

    private static JsonObject Read(JsonElement body) => JsonNode.Parse(body.GetRawText())?.AsObject() ?? [];

    /// <summary>Whether <paramref name="e"/> is the API's answer for a kind it does not serve (404 on the collection).</summary>
    public static bool IsNotServed(Exception e) =>
        e is HttpOperationException h && h.Response?.StatusCode == HttpStatusCode.NotFound
        && (h.Response.Content ?? "").Contains("the server could not find the requested resource", StringComparison.Ordinal);

    public static bool IsConflict(Exception e) => e is HttpOperationException h && h.Response?.StatusCode == HttpStatusCode.Conflict;

    /// <summary>A short description of an API error: its code and the Status message.</summary>
    public static string Describe(Exception e)
    {
        if (e is not HttpOperationException h)
        {
            return e.Message;
        }

        var message = h.Response?.Content ?? "";
        try
        {
            if (JsonNode.Parse(message)?["message"]?.GetValue<string>() is { } m)
            {
                message = m;
            }
        }
        catch (JsonException)
        {
        }

        return $"{(int?)h.Response?.StatusCode} {message}";
    }
}
