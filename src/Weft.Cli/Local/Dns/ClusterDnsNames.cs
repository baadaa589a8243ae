using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.Routing;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// The cluster's DNS names over one store snapshot, as the Kubernetes DNS-Based Service Discovery specification (1.1.0)
/// states them for the cluster domain <c>cluster.local</c>:
/// <list type="bullet">
/// <item><c>svc.ns.svc.cluster.local</c> of a Service with a ClusterIP: its ClusterIPs (spec 2.3.1).</item>
/// <item>Of a headless Service (<c>clusterIP: None</c>): the addresses of its ready endpoints, from the EndpointSlices labelled
/// <c>kubernetes.io/service-name</c> (spec 2.4.1). A Service without a ClusterIP, and an ExternalName Service, are answered the
/// same way: nothing is resolved off the machine, so there is no CNAME to the external name.</item>
/// <item>The names above them (<c>ns.svc.cluster.local</c>, <c>svc.cluster.local</c>, <c>cluster.local</c>) exist without
/// addresses: they are empty non-terminals, and an NXDOMAIN there would deny every name below (RFC 8020).</item>
/// <item>Any other name: NXDOMAIN.</item>
/// </list>
/// Names compare case-insensitively in ASCII only (RFC 4343) and may end in a dot. <see cref="Resolve"/> is what a pod's
/// resolver does with the pod's <see cref="ResolvConf"/>, so that in-process clients resolve as an app in that pod would.
/// </summary>
internal sealed class ClusterDnsNames
{
    public const string ClusterDomain = MeshModel.DefaultClusterDomain;

    /// <summary>kubelet's <c>options ndots:5</c> for ClusterFirst pods.</summary>
    public const int Ndots = 5;

    /// <summary>The longest name in text form without the trailing dot (RFC 1035 2.3.4: 255 octets on the wire).</summary>
    public const int MaxNameLength = 253;

    private const string ServiceZone = "svc." + ClusterDomain;

    public static readonly ClusterDnsNames Empty = From([], []);

    // Every name that exists, in lower case without the trailing dot; looked up by span so that a query allocates nothing.
    private readonly Dictionary<string, ClusterDnsAnswer>.AlternateLookup<ReadOnlySpan<char>> _names;

    private ClusterDnsNames(Dictionary<string, ClusterDnsAnswer> names)
    {
        _names = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <param name="snapshot">The store's objects: the Services and their slices.</param>
    /// <param name="hosts">Names outside the cluster with their addresses (<c>weft-hosts.yaml</c>); a cluster name wins.</param>
    public static ClusterDnsNames From(StoreSnapshot snapshot, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? hosts = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return From(snapshot.Mesh.Services, snapshot.Mesh.EndpointSlices, hosts);
    }

    public static ClusterDnsNames From(IEnumerable<Service> services, IEnumerable<EndpointSlice> slices, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? hosts = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(slices);
        var ready = ReadyAddressesByService(slices);
        var names = new Dictionary<string, ClusterDnsAnswer>(StringComparer.Ordinal)
        {
            [ClusterDomain] = ClusterDnsAnswer.NoData,
            [ServiceZone] = ClusterDnsAnswer.NoData,
        };
        foreach (var service in services)
        {
            // A Service or namespace name is one DNS label; anything else (rejected by the API server) cannot be named.
            if (!IsLabel(service.Name) || !IsLabel(service.Namespace))
            {
                continue;
            }

            var ns = service.Namespace.ToLowerInvariant();
            names.TryAdd($"{ns}.{ServiceZone}", ClusterDnsAnswer.NoData);
            var clusterIPs = ClusterIPsOf(service);
            var addresses = clusterIPs.Count > 0 ? clusterIPs : ready.GetValueOrDefault(service.Key) ?? [];
            names[$"{service.Name.ToLowerInvariant()}.{ns}.{ServiceZone}"] = new ClusterDnsAnswer(true, addresses);
        }

        foreach (var (host, addresses) in hosts ?? new Dictionary<string, IReadOnlyList<IPAddress>>())
        {
            names.TryAdd(host.ToLowerInvariant().TrimEnd('.'), new ClusterDnsAnswer(true, addresses));
        }

        return new ClusterDnsNames(names);
    }

    public ClusterDnsAnswer Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Lookup(name.AsSpan());
    }

    /// <summary>The answer for a fully qualified name (trailing dot optional, any case).</summary>
    public ClusterDnsAnswer Lookup(ReadOnlySpan<char> name)
    {
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return ClusterDnsAnswer.NxDomain;
        }

        Span<char> lower = stackalloc char[MaxNameLength];
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            lower[i] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
        }

        return _names.TryGetValue(lower[..name.Length], out var answer) ? answer : ClusterDnsAnswer.NxDomain;
    }

    /// <summary>
    /// The addresses of <paramref name="family"/> an app in a pod of <paramref name="clientNamespace"/> gets for
    /// <paramref name="host"/>: an IP literal is itself; otherwise the first of <see cref="QueryNames"/> that has such
    /// addresses (a resolver moves on after NXDOMAIN and after NODATA alike); none when no name has any.
    /// </summary>
    public IReadOnlyList<IPAddress> Resolve(string host, string clientNamespace, AddressFamily family = AddressFamily.InterNetwork)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        foreach (var name in QueryNames(host, clientNamespace))
        {
            var addresses = Lookup(name).Addresses.Where(a => a.AddressFamily == family).ToList();
            if (addresses.Count > 0)
            {
                return addresses;
            }
        }

        return [];
    }

    /// <summary>
    /// The absolute names a pod's resolver asks for, in order, given the pod's resolv.conf (glibc <c>res_nsearch</c>): a name
    /// ending in a dot is asked as is and only so; a name with at least <see cref="Ndots"/> dots is asked as is, then with
    /// each search domain; a shorter one with each search domain, then as is.
    /// </summary>
    public static IReadOnlyList<string> QueryNames(string host, string clientNamespace)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(clientNamespace);
        if (host.Length == 0 || host.StartsWith('.'))
        {
            return [];
        }

        if (host.EndsWith('.'))
        {
            return [host];
        }

        var searched = SearchList(clientNamespace).Select(domain => $"{host}.{domain}.");
        return host.Count(c => c == '.') >= Ndots ? [$"{host}.", .. searched] : [.. searched, $"{host}."];
    }

    /// <summary>kubelet's search list for a ClusterFirst pod of <paramref name="clientNamespace"/>.</summary>
    public static IReadOnlyList<string> SearchList(string clientNamespace)
    {
        ArgumentNullException.ThrowIfNull(clientNamespace);
        return [$"{clientNamespace}.{ServiceZone}", ServiceZone, ClusterDomain];
    }

    /// <summary>The pod's <c>/etc/resolv.conf</c>, as kubelet writes it for a ClusterFirst pod.</summary>
    public static string ResolvConf(string clientNamespace, IPAddress nameserver)
    {
        ArgumentNullException.ThrowIfNull(nameserver);
        return string.Create(CultureInfo.InvariantCulture,
            $"nameserver {nameserver}\nsearch {string.Join(' ', SearchList(clientNamespace))}\noptions ndots:{Ndots}\n");
    }

    private static bool IsLabel(string name) => name.Length is > 0 and <= 63 && !name.Contains('.');

    private static List<IPAddress> ClusterIPsOf(Service service)
    {
        var addresses = new List<IPAddress>();
        if (service.IsHeadless || service.Spec.Type == "ExternalName")
        {
            return addresses;
        }

        foreach (var ip in service.Spec.ClusterIPs.Prepend(service.Spec.ClusterIP))
        {
            if (IPAddress.TryParse(ip, out var address) && !addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        return addresses;
    }

    /// <summary>"ns/service" → the addresses of its ready endpoints (ready unless <c>conditions.ready</c> is false), slices by name.</summary>
    private static Dictionary<string, List<IPAddress>> ReadyAddressesByService(IEnumerable<EndpointSlice> slices)
    {
        var byService = new Dictionary<string, List<IPAddress>>(StringComparer.Ordinal);
        foreach (var slice in slices.Where(s => s.ServiceName is not null && s.AddressType is "IPv4" or "IPv6").OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var key = $"{slice.Namespace}/{slice.ServiceName}";
            if (!byService.TryGetValue(key, out var addresses))
            {
                byService[key] = addresses = [];
            }

            foreach (var address in slice.Endpoints.Where(e => e.Conditions.Ready != false).SelectMany(e => e.Addresses))
            {
                if (IPAddress.TryParse(address, out var ip) && !addresses.Contains(ip))
                {
                    addresses.Add(ip);
                }
            }
        }

        return byService;
    }
}
