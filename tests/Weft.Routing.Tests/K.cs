using Weft.Api.Model;
using Weft.Routing.Matching;

namespace Weft.Routing.Tests;

/// <summary>Builders for model objects, shaped like the manifests they stand for.</summary>
internal static class K
{
    public const string Mesh = "gateway-conformance-mesh";
    public const string Consumer = "gateway-conformance-mesh-consumer";

    public static ObjectMeta Meta(string ns, string name, DateTimeOffset? created = null, long generation = 1, IReadOnlyDictionary<string, string>? labels = null) => new()
    {
        Namespace = ns,
        Name = name,
        CreationTimestamp = created,
        Generation = generation,
        Labels = labels ?? new Dictionary<string, string>(),
    };

    public static ServicePort Port(int port, string? name = null, int? target = null, string? targetName = null, string? app = null) => new()
    {
        Port = port,
        Name = name,
        TargetPort = targetName is not null ? IntOrString.Of(targetName) : IntOrString.Of(target ?? port),
        AppProtocol = app,
    };

    public static Service Svc(string ns, string name, string clusterIP, params ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name),
        Spec = new ServiceSpec { ClusterIP = clusterIP, ClusterIPs = clusterIP == "None" ? [] : [clusterIP], Ports = ports },
    };

    public static Service ExternalName(string ns, string name) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name),
        Spec = new ServiceSpec { Type = "ExternalName", ExternalName = "example.org", Ports = [Port(80, "http")] },
    };

    public static Pod Pod(string ns, string name, string ip, string sa = "default", params ContainerPort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name),
        PodIP = ip,
        Spec = new PodSpec { ServiceAccountName = sa, Containers = [new Container { Name = "echo", Ports = ports }] },
    };

    public static EndpointSlice Slice(string ns, string service, EndpointPort[] ports, params Endpoint[] endpoints) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Metadata = Meta(ns, $"{service}-abc", labels: new Dictionary<string, string> { [EndpointSlice.ServiceNameLabel] = service }),
        Ports = ports,
        Endpoints = endpoints,
    };

    public static Endpoint Ep(string ip, string? pod = null, bool? ready = true) => new()
    {
        Addresses = [ip],
        Conditions = new EndpointConditions { Ready = ready },
        TargetRef = pod is null ? null : new ObjectReference { Kind = "Pod", Name = pod },
    };

    public static ParentReference Parent(string name, string? ns = null, int? port = null, string? section = null, string group = "", string kind = "Service") =>
        new() { Group = group, Kind = kind, Name = name, Namespace = ns, Port = port, SectionName = section };

    public static BackendRef Backend(string name, int? port, int weight = 1, string? ns = null, params HttpRouteFilter[] filters) =>
        new() { Name = name, Port = port, Weight = weight, Namespace = ns, Filters = filters };

    public static HttpRouteMatch Prefix(string value) => new() { Path = new HttpPathMatch { Type = PathMatchType.PathPrefix, Value = value } };

    public static HttpRouteMatch Exact(string value) => new() { Path = new HttpPathMatch { Type = PathMatchType.Exact, Value = value } };

    public static HttpRouteMatch Regex(string value) => new() { Path = new HttpPathMatch { Type = PathMatchType.RegularExpression, Value = value } };

    public static HttpRouteMatch Headers(this HttpRouteMatch m, params (string Name, string Value)[] headers) =>
        m with { Headers = [.. headers.Select(h => new HttpHeaderMatch { Name = h.Name, Value = h.Value })] };

    public static HttpRouteMatch Query(this HttpRouteMatch m, params (string Name, string Value)[] qs) =>
        m with { QueryParams = [.. qs.Select(q => new HttpQueryParamMatch { Name = q.Name, Value = q.Value })] };

    public static HttpRouteRule Rule(HttpRouteMatch[] matches, params BackendRef[] backends) => new() { Matches = matches, BackendRefs = backends };

    public static HttpRouteRule Rule(HttpRouteMatch match, params BackendRef[] backends) => Rule([match], backends);

    public static HttpRouteRule With(this HttpRouteRule r, params HttpRouteFilter[] filters) => r with { Filters = filters };

    public static HttpRoute Http(string ns, string name, ParentReference[] parents, params HttpRouteRule[] rules) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = Meta(ns, name),
        Spec = new HttpRouteSpec { ParentRefs = parents, Rules = rules },
    };

    public static HttpRoute Http(string ns, string name, ParentReference parent, params HttpRouteRule[] rules) => Http(ns, name, [parent], rules);

    public static T Created<T>(this T route, int minute)
        where T : Route => route with { Metadata = route.Metadata with { CreationTimestamp = new DateTimeOffset(2025, 1, 1, 0, minute, 0, TimeSpan.Zero) } };

    public static GrpcRoute Grpc(string ns, string name, ParentReference parent, params GrpcRouteRule[] rules) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = Meta(ns, name),
        Spec = new GrpcRouteSpec { ParentRefs = [parent], Rules = rules },
    };

    public static GrpcRouteRule GrpcRule(GrpcRouteMatch[] matches, params BackendRef[] backends) => new() { Matches = matches, BackendRefs = backends };

    public static GrpcRouteMatch GrpcMatch(string? service, string? method, params (string Name, string Value)[] headers) => new()
    {
        Method = service is null && method is null ? null : new GrpcMethodMatch { Service = service, Method = method },
        Headers = [.. headers.Select(h => new HttpHeaderMatch { Name = h.Name, Value = h.Value })],
    };

    public static TcpRoute Tcp(string ns, string name, ParentReference parent, params BackendRef[] backends) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = Meta(ns, name),
        Spec = new TcpRouteSpec { ParentRefs = [parent], Rules = [new L4RouteRule { BackendRefs = backends }] },
    };

    public static TlsRoute Tls(string ns, string name, ParentReference parent, string[] hostnames, params BackendRef[] backends) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = Meta(ns, name),
        Spec = new TlsRouteSpec { ParentRefs = [parent], Hostnames = hostnames, Rules = [new L4RouteRule { BackendRefs = backends }] },
    };

    public static HttpRouteFilter SetResponseHeader(string name, string value) => new()
    {
        Type = HttpRouteFilterType.ResponseHeaderModifier,
        ResponseHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = name, Value = value }] },
    };

    public static HttpRouteFilter Redirect(HttpRequestRedirectFilter r) => new() { Type = HttpRouteFilterType.RequestRedirect, RequestRedirect = r };

    /// <summary>The conformance base (gamma-spec "Base mesh manifests"): echo, echo-v1, echo-v2 with one pod each.</summary>
    public static MeshSnapshot Base(params Route[] routes)
    {
        ServicePort[] Ports() =>
        [
            Port(80, "http", 8080, app: "http"), Port(8080, "http-alt", 8080, app: "http"), Port(443, "https", 8443),
            Port(9090, "tcp", 9090), Port(7070, "grpc", 7070, app: "grpc"),
        ];
        EndpointPort[] SlicePorts() =>
        [
            new() { Name = "http", Port = 8080 }, new() { Name = "http-alt", Port = 8080 }, new() { Name = "https", Port = 8443 },
            new() { Name = "tcp", Port = 9090 }, new() { Name = "grpc", Port = 7070 },
        ];
        return new MeshSnapshot
        {
            Services =
            [
                Svc(Mesh, "echo", "10.96.0.10", Ports()),
                Svc(Mesh, "echo-v1", "10.96.0.11", Ports()),
                Svc(Mesh, "echo-v2", "10.96.0.12", Ports()),
            ],
            EndpointSlices =
            [
                Slice(Mesh, "echo", SlicePorts(), Ep("10.0.0.1", "echo-v1-abc-1"), Ep("10.0.0.2", "echo-v2-abc-1")),
                Slice(Mesh, "echo-v1", SlicePorts(), Ep("10.0.0.1", "echo-v1-abc-1")),
                Slice(Mesh, "echo-v2", SlicePorts(), Ep("10.0.0.2", "echo-v2-abc-1")),
            ],
            Pods =
            [
                Pod(Mesh, "echo-v1-abc-1", "10.0.0.1"),
                Pod(Mesh, "echo-v2-abc-1", "10.0.0.2", "echo-v2-sa"),
                Pod(Consumer, "echo-v1-def-1", "10.0.1.1"),
            ],
            Routes = routes,
        };
    }

    public static MeshModel Model(params Route[] routes) => MeshModel.Build(Base(routes));

    /// <summary>A fresh self-signed CA certificate in PEM, for the CA bundles (ConfigMap ca.crt) of backend TLS.</summary>
    public static string TestCaPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Weft test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem();
    }
}
