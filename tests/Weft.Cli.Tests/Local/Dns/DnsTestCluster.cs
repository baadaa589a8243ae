using Weft.Api.Model;
using Weft.Cli.Local.Dns;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>
/// The cluster the DNS tests ask about: <c>cart</c> in <c>shop</c> and in <c>web</c> (ClusterIPs), <c>db</c> in <c>shop</c>
/// (headless, two slices, some endpoints not ready), <c>empty</c> (headless, nothing ready), <c>ext</c> (ExternalName),
/// <c>pending</c> (no ClusterIP yet, one ready endpoint) and <c>dual</c> (IPv4 and IPv6 ClusterIPs).
/// </summary>
internal static class DnsTestCluster
{
    public const string CartInShop = "127.30.1.5";
    public const string CartInWeb = "127.30.1.9";
    public const string DbReady = "10.1.0.1 10.1.0.3 10.1.0.4";

    public static IReadOnlyList<KubeObject> Objects { get; } =
    [
        NewService("shop", "cart", CartInShop),
        NewService("web", "cart", CartInWeb),
        NewService("shop", "db", "None"),
        NewSlice("shop", "db", "db-a", ("10.1.0.1", true), ("10.1.0.2", false), ("10.1.0.3", null)),
        NewSlice("shop", "db", "db-b", ("10.1.0.4", true), ("10.1.0.1", true)),
        NewService("shop", "empty", "None"),
        NewSlice("shop", "empty", "empty-a", ("10.1.0.5", false)),
        NewService("shop", "ext", null, type: "ExternalName"),
        NewService("shop", "pending", null),
        NewSlice("shop", "pending", "pending-a", ("10.1.0.7", true)),
        NewService("shop", "dual", "127.30.1.6", ["127.30.1.6", "fd00::6"]),
    ];

    public static ClusterDnsNames Names { get; } = ClusterDnsNames.From(Objects.OfType<Service>(), Objects.OfType<EndpointSlice>());

    public static ObjectStore Store(params KubeObject[] objects)
    {
        var store = new ObjectStore();
        store.Replace("test", objects.Length > 0 ? objects : Objects);
        return store;
    }

    public static Service NewService(string ns, string name, string? clusterIP, IReadOnlyList<string>? clusterIPs = null, string type = "ClusterIP") => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Spec = new ServiceSpec
        {
            Type = type,
            ClusterIP = clusterIP,
            ClusterIPs = clusterIPs ?? [],
            ExternalName = type == "ExternalName" ? "example.com" : null,
            Ports = [new ServicePort { Name = "http", Port = 80 }],
        },
    };

    public static EndpointSlice NewSlice(string ns, string service, string name, params (string Address, bool? Ready)[] endpoints) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = ns,
            Labels = new Dictionary<string, string> { [EndpointSlice.ServiceNameLabel] = service },
        },
        Endpoints = [.. endpoints.Select(e => new Endpoint { Addresses = [e.Address], Conditions = new EndpointConditions { Ready = e.Ready } })],
        Ports = [new EndpointPort { Name = "http", Port = 8080 }],
    };

    /// <summary>"NXDOMAIN", "NODATA", or the addresses separated by spaces.</summary>
    public static string Describe(ClusterDnsAnswer answer) =>
        !answer.NameExists ? "NXDOMAIN" : answer.Addresses.Count == 0 ? "NODATA" : string.Join(' ', answer.Addresses);
}
