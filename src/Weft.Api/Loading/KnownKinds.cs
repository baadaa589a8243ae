using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>The kinds and apiVersions Weft reads, and how to map each.</summary>
internal static class KnownKinds
{
    /// <param name="Namespaced">Whether objects of the kind live in a namespace.</param>
    /// <param name="Map">Reads one object of the kind (its mapping, its apiVersion, its metadata) into the model.</param>
    /// <param name="Fields">The fields the kind may have (strict field validation, as <c>kubectl apply</c> asks for by default).</param>
    public sealed record KindType(bool Namespaced, Func<MappingReader, string, ObjectMeta, KubeObject> Map, FieldSchema Fields);

    private const string Gateway = GatewayApi.Group + "/";

    private static readonly Dictionary<(string Kind, string ApiVersion), KindType> Types = Build();

    public static KindType? Find(string kind, string apiVersion) => Types.GetValueOrDefault((kind, apiVersion));

    /// <summary>
    /// The namespace a problem of an object Weft could not map names, as the object's key has it: "default" for a
    /// namespaced kind Weft reads (at any version) that names none, so that the problem matches the object an earlier
    /// load kept (<c>DirectorySource</c>); as written otherwise.
    /// </summary>
    public static string? DisplayNamespace(string? kind, string? ns) =>
        !string.IsNullOrEmpty(ns) || kind is null ? ns
        : Types.FirstOrDefault(t => t.Key.Kind == kind).Value is { } type ? (type.Namespaced ? "default" : null)
        : ns;

    /// <summary>
    /// The groups of Weft's CRDs (Gateway API, experimental channel; Weft's policy group), with the kinds of each Weft does
    /// not read: those of the release Weft vendors (v1.6.1) and of the earlier ones <c>weft check</c> accepts (from v1.4.0),
    /// so that a kind of theirs is never taken for a slip.
    /// </summary>
    private static readonly Dictionary<string, string[]> OwnGroups = new(StringComparer.Ordinal)
    {
        [GatewayApi.Group] = ["Gateway", "GatewayClass", "ListenerSet", "UDPRoute", "BackendLBPolicy"],
        [GatewayApi.ExperimentalGroup] = ["XListenerSet"],
        [WeftPolicyApi.Group] = [],
    };

    /// <summary>
    /// Why an object Weft does not read is an error where <c>kubectl apply</c> would refuse it as a kind the server does
    /// not serve ("no matches for kind"), or null (a kind Weft leaves alone, which a cluster may serve): a kind Weft reads
    /// at an apiVersion of its group it is not served at (<c>HTTPRoute</c> v9), or, in a group of Weft's CRDs, a kind
    /// none of its releases defines that is a slip from one Weft reads (<c>HTTPRoot</c>, two letters at most). Other
    /// kinds, of any group, are skipped: a newer release's, another project's. Returns the message and a hint.
    /// </summary>
    public static (string Message, string Hint)? NotServed(string kind, string apiVersion)
    {
        var group = GroupOf(apiVersion);
        var served = Types.Keys.Where(k => k.Kind == kind && GroupOf(k.ApiVersion) == group).Select(k => k.ApiVersion).ToList();
        var message = $"no matches for kind \"{kind}\" in version \"{apiVersion}\"";
        if (served.Count > 0)
        {
            return (message, $"{kind} is served at {string.Join(", ", served)}");
        }

        if (!OwnGroups.TryGetValue(group, out var others))
        {
            return null; // another group's kind (a Knative Service is not a Service)
        }

        var kinds = Types.Keys.Where(k => GroupOf(k.ApiVersion) == group).Select(k => k.Kind).Concat(others).Distinct().ToList();
        if (kinds.Contains(kind, StringComparer.Ordinal))
        {
            return null;
        }

        var near = Types.Keys.Where(k => GroupOf(k.ApiVersion) == group).Select(k => k.Kind).Distinct()
            .Where(k => UnknownField.EditDistance(k.ToLowerInvariant(), kind.ToLowerInvariant()) <= 2).ToList();
        return near.Count == 0
            ? null
            : (message, $"did you mean {string.Join(" or ", near)}? (served at {string.Join(", ", Types.Keys.Where(k => near.Contains(k.Kind)).Select(k => k.ApiVersion))})");
    }

    private static string GroupOf(string apiVersion) => apiVersion.LastIndexOf('/') is > 0 and var slash ? apiVersion[..slash] : "";

    private static Dictionary<(string, string), KindType> Build()
    {
        var types = new Dictionary<(string, string), KindType>();
        void Add(string kind, bool namespaced, Func<MappingReader, string, ObjectMeta, KubeObject> map, FieldSchema fields, params string[] apiVersions)
        {
            foreach (var v in apiVersions)
            {
                types[(kind, v)] = new KindType(namespaced, map, fields);
            }
        }

        Add("Namespace", false, (_, v, m) => new Namespace { ApiVersion = v, Metadata = m }, KnownFields.Namespace, "v1");
        Add("ServiceAccount", true, (_, v, m) => new ServiceAccount { ApiVersion = v, Metadata = m }, KnownFields.ServiceAccount, "v1");
        Add("ConfigMap", true, (r, v, m) => new ConfigMap { ApiVersion = v, Metadata = m, Data = r.StringMap("data") }, KnownFields.ConfigMap, "v1");
        Add("Service", true, CoreObjectMapper.Service, KnownFields.Service, "v1");
        Add("Pod", true, CoreObjectMapper.Pod, KnownFields.Workload, "v1");
        Add("EndpointSlice", true, CoreObjectMapper.EndpointSlice, KnownFields.EndpointSlice, "discovery.k8s.io/v1");
        Add("Deployment", true, CoreObjectMapper.Deployment, KnownFields.Workload, "apps/v1");
        Add("HTTPRoute", true, GatewayObjectMapper.HttpRoute, KnownFields.HttpRoute, Gateway + "v1", Gateway + "v1beta1");
        Add("GRPCRoute", true, GatewayObjectMapper.GrpcRoute, KnownFields.GrpcRoute, Gateway + "v1", Gateway + "v1alpha2");
        Add("TCPRoute", true, GatewayObjectMapper.TcpRoute, KnownFields.TcpRoute, Gateway + "v1", Gateway + "v1alpha2");
        Add("TLSRoute", true, GatewayObjectMapper.TlsRoute, KnownFields.TlsRoute, Gateway + "v1", Gateway + "v1alpha2", Gateway + "v1alpha3");
        Add("ReferenceGrant", true, GatewayObjectMapper.ReferenceGrant, KnownFields.ReferenceGrant, Gateway + "v1", Gateway + "v1beta1", Gateway + "v1alpha2");
        Add(AuthorizationPolicy.KindName, true, PolicyObjectMapper.AuthorizationPolicy, KnownFields.AuthorizationPolicy, WeftPolicyApi.ApiVersion);
        Add("XMesh", false, GatewayObjectMapper.XMesh, KnownFields.XMesh, GatewayApi.ExperimentalGroup + "/v1alpha1");
        Add(XBackend.KindName, true, BackendObjectMapper.XBackend, KnownFields.XBackend, GatewayApi.ExperimentalGroup + "/v1alpha1");
        Add(BackendTlsPolicy.KindName, true, BackendObjectMapper.BackendTlsPolicy, KnownFields.BackendTlsPolicy, Gateway + "v1", Gateway + "v1alpha3");
        Add(XBackendTrafficPolicy.KindName, true, BackendObjectMapper.XBackendTrafficPolicy, KnownFields.XBackendTrafficPolicy, GatewayApi.ExperimentalGroup + "/v1alpha1");
        return types;
    }
}
