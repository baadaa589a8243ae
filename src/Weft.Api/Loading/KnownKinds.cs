using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>The kinds and apiVersions Weft reads, and how to map each.</summary>
internal static class KnownKinds
{
    public sealed record KindType(bool Namespaced, Func<MappingReader, string, ObjectMeta, KubeObject> Map);

    private const string Gateway = GatewayApi.Group + "/";

    private static readonly Dictionary<(string Kind, string ApiVersion), KindType> Types = Build();

    public static KindType? Find(string kind, string apiVersion) => Types.GetValueOrDefault((kind, apiVersion));

    private static Dictionary<(string, string), KindType> Build()
    {
        var types = new Dictionary<(string, string), KindType>();
        void Add(string kind, bool namespaced, Func<MappingReader, string, ObjectMeta, KubeObject> map, params string[] apiVersions)
        {
            foreach (var v in apiVersions)
            {
                types[(kind, v)] = new KindType(namespaced, map);
            }
        }

        Add("Namespace", false, (_, v, m) => new Namespace { ApiVersion = v, Metadata = m }, "v1");
        Add("ServiceAccount", true, (_, v, m) => new ServiceAccount { ApiVersion = v, Metadata = m }, "v1");
        Add("Service", true, CoreObjectMapper.Service, "v1");
        Add("Pod", true, CoreObjectMapper.Pod, "v1");
        Add("EndpointSlice", true, CoreObjectMapper.EndpointSlice, "discovery.k8s.io/v1");
        Add("Deployment", true, CoreObjectMapper.Deployment, "apps/v1");
        Add("HTTPRoute", true, GatewayObjectMapper.HttpRoute, Gateway + "v1", Gateway + "v1beta1");
        Add("GRPCRoute", true, GatewayObjectMapper.GrpcRoute, Gateway + "v1", Gateway + "v1alpha2");
        Add("TCPRoute", true, GatewayObjectMapper.TcpRoute, Gateway + "v1", Gateway + "v1alpha2");
        Add("TLSRoute", true, GatewayObjectMapper.TlsRoute, Gateway + "v1", Gateway + "v1alpha2", Gateway + "v1alpha3");
        Add("ReferenceGrant", true, GatewayObjectMapper.ReferenceGrant, Gateway + "v1", Gateway + "v1beta1", Gateway + "v1alpha2");
        Add("XMesh", false, GatewayObjectMapper.XMesh, GatewayApi.ExperimentalGroup + "/v1alpha1");
        return types;
    }
}
