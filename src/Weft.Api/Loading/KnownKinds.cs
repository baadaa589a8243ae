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
