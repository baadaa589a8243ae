using System.Globalization;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Bench;

/// <summary>
/// The translator-at-scale cluster of issue 6: 100 namespaces × 100 Services (2 ports each) = 10,000 Services, one
/// EndpointSlice of 10 endpoints per Service (100,000 endpoints), and 10,000 HTTPRoutes: four in five are producer
/// routes (parent in the route's namespace), one in five a consumer route (parent in the next namespace). Each route has
/// 3 rules of 2 matches (path prefix; path prefix + header); every third route splits by weight over two backends, every
/// fourth has a RequestHeaderModifier.
/// </summary>
public static class SyntheticCluster
{
    public const int Namespaces = 100;
    public const int ServicesPerNamespace = 100;
    public const int EndpointsPerService = 10;
    public const int HttpPort = 80;
    public const int AdminPort = 8081;

    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Ns(int n) => $"ns{n:D3}";

    public static string Svc(int s) => $"svc{s:D3}";

    public static IReadOnlyList<KubeObject> Objects()
    {
        var objects = new List<KubeObject>(3 * Namespaces * ServicesPerNamespace);
        for (var n = 0; n < Namespaces; n++)
        {
            for (var s = 0; s < ServicesPerNamespace; s++)
            {
                objects.Add(Service(n, s));
                objects.Add(Slice(n, s));
                objects.Add(Route(n, s, routeRevision: 0));
            }
        }

        return objects;
    }

    /// <summary>The same objects (same instances) with route ns000/route000 replaced by a new revision: one route edited.</summary>
    public static MeshSnapshot WithEditedRoute(IReadOnlyList<KubeObject> objects, int revision)
    {
        var edited = objects.ToArray();
        edited[2] = Route(0, 0, revision);
        return MeshSnapshot.From(edited);
    }

    /// <summary>1,000 (client namespace, host, port) subscriptions spread over namespaces, Services and both ports.</summary>
    public static IReadOnlyList<(string ClientNamespace, string Host, int Port)> Subscriptions(int count = 1000)
    {
        var result = new List<(string, string, int)>(count);
        for (var j = 0; j < count; j++)
        {
            var ns = (j * 7) % Namespaces;
            var svc = (j * 13) % ServicesPerNamespace;
            result.Add((Ns(j % Namespaces), $"{Svc(svc)}.{Ns(ns)}", j % 4 == 3 ? AdminPort : HttpPort));
        }

        return result;
    }

    /// <summary>A producer route of ns000/svc001:80 (a Service no consumer route binds) whose path carries the revision.</summary>
    public static HttpRoute HotRoute(string name, int revision) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1",
        Metadata = new ObjectMeta { Name = name, Namespace = Ns(0), Generation = 1 + revision },
        Spec = new HttpRouteSpec
        {
            ParentRefs = [new ParentReference { Group = "", Kind = "Service", Name = Svc(1), Port = HttpPort }],
            Rules =
            [
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch { Path = new HttpPathMatch { Type = PathMatchType.PathPrefix, Value = $"/{name}/v{revision}/" } }],
                    BackendRefs = [Backend(Ns(0), Svc(2), 1)],
                },
            ],
        },
    };

    private static Service Service(int n, int s) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = Svc(s), Namespace = Ns(n) },
        Spec = new ServiceSpec
        {
            ClusterIP = $"10.96.{n}.{s + 1}",
            Ports =
            [
                new ServicePort { Name = "http", Port = HttpPort, TargetPort = IntOrString.Of(8080), AppProtocol = "http" },
                new ServicePort { Name = "admin", Port = AdminPort, TargetPort = IntOrString.Of(9091), AppProtocol = "http" },
            ],
        },
    };

    private static EndpointSlice Slice(int n, int s)
    {
        var endpoints = new Endpoint[EndpointsPerService];
        for (var e = 0; e < endpoints.Length; e++)
        {
            endpoints[e] = new Endpoint
            {
                Addresses = [$"10.{128 + (n / 2)}.{((n % 2) * 100) + s}.{e + 1}"],
                Conditions = new EndpointConditions { Ready = true },
                TargetRef = new ObjectReference { Kind = "Pod", Namespace = Ns(n), Name = $"{Svc(s)}-{e}" },
            };
        }

        return new EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Metadata = new ObjectMeta
            {
                Name = $"{Svc(s)}-abcde",
                Namespace = Ns(n),
                Labels = new Dictionary<string, string> { [EndpointSlice.ServiceNameLabel] = Svc(s) },
            },
            Endpoints = endpoints,
            Ports = [new EndpointPort { Name = "http", Port = 8080 }, new EndpointPort { Name = "admin", Port = 9091 }],
        };
    }

    private static HttpRoute Route(int n, int s, int routeRevision)
    {
        var i = (n * ServicesPerNamespace) + s;
        var consumer = i % 5 == 0;
        var parentNs = consumer ? Ns((n + 1) % Namespaces) : Ns(n);
        var target = Svc(s);
        var rules = new HttpRouteRule[3];
        for (var r = 0; r < rules.Length; r++)
        {
            var prefix = r == 0 && routeRevision != 0
                ? $"/api/v{routeRevision}/r{r}"
                : $"/api/r{r}/{i.ToString(CultureInfo.InvariantCulture)}";
            BackendRef[] backends = i % 3 == 0
                ? [Backend(parentNs, target, 90), Backend(parentNs, Svc((s + 1) % ServicesPerNamespace), 10)]
                : [Backend(parentNs, target, 1)];
            rules[r] = new HttpRouteRule
            {
                Matches =
                [
                    new HttpRouteMatch { Path = new HttpPathMatch { Type = PathMatchType.PathPrefix, Value = prefix } },
                    new HttpRouteMatch
                    {
                        Path = new HttpPathMatch { Type = PathMatchType.PathPrefix, Value = $"/v2{prefix}" },
                        Headers = [new HttpHeaderMatch { Name = "x-tenant", Value = $"t{r}" }],
                    },
                ],
                Filters = i % 4 == 0
                    ? [new HttpRouteFilter
                    {
                        Type = HttpRouteFilterType.RequestHeaderModifier,
                        RequestHeaderModifier = new HttpHeaderFilter { Set = [new HttpHeader { Name = "x-route", Value = $"r{i}" }], Remove = ["x-debug"] },
                    }]
                    : [],
                BackendRefs = backends,
            };
        }

        return new HttpRoute
        {
            ApiVersion = "gateway.networking.k8s.io/v1",
            Metadata = new ObjectMeta
            {
                Name = $"route{s:D3}",
                Namespace = Ns(n),
                CreationTimestamp = Epoch.AddSeconds(i),
                Generation = 1 + routeRevision,
            },
            Spec = new HttpRouteSpec
            {
                ParentRefs = [new ParentReference { Group = "", Kind = "Service", Namespace = parentNs, Name = target, Port = HttpPort }],
                Rules = rules,
            },
        };
    }

    private static BackendRef Backend(string ns, string name, int weight) =>
        new() { Namespace = ns, Name = name, Port = HttpPort, Weight = weight };
}
