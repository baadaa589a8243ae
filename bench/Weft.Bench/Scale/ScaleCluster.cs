using System.Globalization;
using Weft.Api.Model;

namespace Weft.Bench.Scale;

/// <summary>
/// The synthetic cluster of the scale benchmark (issue 18), <see cref="SyntheticCluster"/>'s shape parameterised by size:
/// <see cref="Namespaces"/> × 100 Services (ports 80 and 8081), one EndpointSlice of 10 endpoints per Service, one
/// HTTPRoute per Service (four in five producer routes, one in five a consumer route from the previous namespace; 3
/// rules of 2 matches; every third splits by weight over two backends, every fourth modifies headers), and one Pod per
/// subscribed proxy (the pod behind one of the endpoints). Every address is in 127.0.0.0/8: ClusterIPs in 127.1–127.15,
/// endpoints in 127.16–127.31, moved endpoints in 127.250.
/// </summary>
internal sealed class ScaleCluster
{
    public const int ServicesPerNamespace = 100;
    public const int EndpointsPerService = 10;
    public const int HttpPort = 80;
    public const int AdminPort = 8081;

    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public ScaleCluster(int namespaces, int proxies)
    {
        if (namespaces * ServicesPerNamespace * EndpointsPerService > 16 * 62500 || proxies > namespaces * ServicesPerNamespace * EndpointsPerService)
        {
            throw new ArgumentOutOfRangeException(nameof(namespaces), "too large for the address plan");
        }

        Namespaces = namespaces;
        Proxies = proxies;
    }

    /// <summary>"10k" (10,000 Services and routes, 100,000 endpoints, 1,000 proxies) or "50k" (five times that).</summary>
    public static ScaleCluster OfSize(string size) => size switch
    {
        "10k" => new ScaleCluster(100, 1000),
        "50k" => new ScaleCluster(500, 5000),
        _ => throw new ArgumentException($"--size is 10k or 50k, not '{size}'", nameof(size)),
    };

    public int Namespaces { get; }

    public int Proxies { get; }

    public int Services => Namespaces * ServicesPerNamespace;

    public int Endpoints => Services * EndpointsPerService;

    public static string Ns(int n) => $"ns{n:D3}";

    public static string Svc(int s) => $"svc{s:D3}";

    /// <summary>Proxy <paramref name="p"/>'s pod: the pod behind endpoint e of Service s in namespace n.</summary>
    public (int N, int S, int E) ProxyPod(int p) => (p % Namespaces, (p / Namespaces) % ServicesPerNamespace, p / Services);

    public static string PodName(int s, int e) => $"{Svc(s)}-{e}";

    /// <summary>A producer route only (no consumer route names the Service), so a route edit reaches clients in every namespace.</summary>
    public static bool ProducerOnly(int s) => s % 5 != 0;

    /// <summary>The route of Service (n, s): producer route n/route{s} when <see cref="ProducerOnly"/>, else a consumer route from n - 1.</summary>
    public (int N, int S) RouteOf(int n, int s) => ProducerOnly(s) ? (n, s) : ((n + Namespaces - 1) % Namespaces, s);

    /// <summary>The first rule's first path prefix of route (n, s) at a revision: a marker unique in the cluster.</summary>
    public static string RoutePath(int n, int s, int revision)
    {
        var i = (n * ServicesPerNamespace) + s;
        return revision == 0 ? $"/api/r0/{i.ToString(CultureInfo.InvariantCulture)}" : $"/api/v{revision}/r0/{i.ToString(CultureInfo.InvariantCulture)}";
    }

    public static string EndpointAddress(int n, int s, int e)
    {
        var k = (((n * ServicesPerNamespace) + s) * EndpointsPerService) + e;
        return $"127.{16 + (k / 62500)}.{k / 250 % 250}.{(k % 250) + 1}";
    }

    /// <summary>Where the <paramref name="move"/>th endpoint move puts an endpoint: unique per move.</summary>
    public static string MovedAddress(int move) => $"127.250.{move / 250 % 250}.{(move % 250) + 1}";

    /// <summary>Every object, in the order <see cref="IndexOfRoute"/> and <see cref="IndexOfSlice"/> name.</summary>
    public List<KubeObject> Objects()
    {
        var objects = new List<KubeObject>((3 * Services) + Proxies);
        for (var n = 0; n < Namespaces; n++)
        {
            for (var s = 0; s < ServicesPerNamespace; s++)
            {
                objects.Add(Service(n, s));
                objects.Add(Slice(n, s, movedEndpoint0: null));
                objects.Add(Route(n, s, revision: 0));
            }
        }

        for (var p = 0; p < Proxies; p++)
        {
            objects.Add(Pod(p));
        }

        return objects;
    }

    public int IndexOfService(int n, int s) => 3 * ((n * ServicesPerNamespace) + s);

    public int IndexOfSlice(int n, int s) => IndexOfService(n, s) + 1;

    public int IndexOfRoute(int n, int s) => IndexOfService(n, s) + 2;

    public static string PodUid(int p) => $"00000000-0000-4000-8000-{p:D12}";

    public Pod Pod(int p)
    {
        var (n, s, e) = ProxyPod(p);
        return new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = PodName(s, e),
                Namespace = Ns(n),
                Uid = PodUid(p),
                Labels = new Dictionary<string, string> { ["app"] = Svc(s) },
            },
            Spec = new PodSpec { ServiceAccountName = Svc(s) },
            PodIP = EndpointAddress(n, s, e),
        };
    }

    /// <summary>
    /// Service s in namespace n; <paramref name="adminTarget"/> is its admin port's targetPort, which no policy of the http
    /// port shows (an edit of it changes the Service and nothing a proxy of the benchmark receives).
    /// </summary>
    public static Service Service(int n, int s, int adminTarget = 9091) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = Svc(s), Namespace = Ns(n) },
        Spec = new ServiceSpec
        {
            ClusterIP = $"127.{1 + (n / 40)}.{n % 40}.{s + 1}",
            Ports =
            [
                new ServicePort { Name = "http", Port = HttpPort, TargetPort = IntOrString.Of(8080), AppProtocol = "http" },
                new ServicePort { Name = "admin", Port = AdminPort, TargetPort = IntOrString.Of(adminTarget), AppProtocol = "http" },
            ],
        },
    };

    /// <summary>Service (n, s)'s slice; with <paramref name="movedEndpoint0"/>, its first endpoint moved to that address.</summary>
    public static EndpointSlice Slice(int n, int s, string? movedEndpoint0)
    {
        var endpoints = new Endpoint[EndpointsPerService];
        for (var e = 0; e < endpoints.Length; e++)
        {
            endpoints[e] = new Endpoint
            {
                Addresses = [e == 0 && movedEndpoint0 is not null ? movedEndpoint0 : EndpointAddress(n, s, e)],
                Conditions = new EndpointConditions { Ready = true },
                TargetRef = new ObjectReference { Kind = "Pod", Namespace = Ns(n), Name = PodName(s, e) },
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

    /// <summary>Route n/route{s}: its parent is Service s in n (producer) or, one in five, in n + 1 (consumer).</summary>
    public HttpRoute Route(int n, int s, int revision)
    {
        var i = (n * ServicesPerNamespace) + s;
        var consumer = i % 5 == 0;
        var parentNs = consumer ? Ns((n + 1) % Namespaces) : Ns(n);
        var target = Svc(s);
        var rules = new HttpRouteRule[3];
        for (var r = 0; r < rules.Length; r++)
        {
            var prefix = r == 0 ? RoutePath(n, s, revision) : $"/api/r{r}/{i.ToString(CultureInfo.InvariantCulture)}";
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
                Generation = 1 + revision,
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
