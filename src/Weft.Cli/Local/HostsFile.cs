using System.Net;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Local;

/// <summary>
/// <c>weft-hosts.yaml</c> in the manifests directory: the addresses of external host names (XBackends) as the local
/// mesh's sidecars should resolve them, like <c>/etc/hosts</c>, so an example or a test reaches "api.example.test" on this
/// machine without a DNS server. A YAML map <c>name: address</c>, <c>name: [address, …]</c>, or
/// <c>name: {service: namespace/name}</c> (that local Service's ClusterIP in this run: an "external" server run as a pod
/// outside the mesh, reachable in both isolations). In network namespaces the pods' DNS answers these names, as a
/// cluster's DNS resolves an external host; with pods as processes each sidecar gets them as
/// <c>--resolve name=address,…</c>, which wins over the machine's DNS. Other names are resolved through DNS. The file
/// is read when <c>weft up</c> starts.
/// </summary>
internal sealed class HostsFile
{
    public const string LocalFileName = "weft-hosts.yaml";

    public static readonly HostsFile Empty = new(new Dictionary<string, IReadOnlyList<IPAddress>>(), new Dictionary<string, string>());

    private readonly IReadOnlyDictionary<string, string> _services;

    private HostsFile(IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> names, IReadOnlyDictionary<string, string> services)
    {
        Names = names;
        _services = services;
    }

    /// <summary>The names given by address; <see cref="Resolve"/> adds those given by Service.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> Names { get; }

    /// <summary>Every name by address: those given as <c>{service: namespace/name}</c> get that Service's ClusterIP.</summary>
    public HostsFile Resolve(Func<string, IPAddress> clusterIP)
    {
        ArgumentNullException.ThrowIfNull(clusterIP);
        if (_services.Count == 0)
        {
            return this;
        }

        var names = new Dictionary<string, IReadOnlyList<IPAddress>>(Names, StringComparer.Ordinal);
        foreach (var (name, service) in _services)
        {
            names[name] = [clusterIP(service)];
        }

        return new HostsFile(names, new Dictionary<string, string>());
    }

    /// <summary>The sidecar's arguments: one <c>--resolve name=address,…</c> per name, in name order.</summary>
    public IReadOnlyList<string> SidecarArguments() =>
        [.. Names.OrderBy(n => n.Key, StringComparer.Ordinal).SelectMany(n => new[] { Weft.Routing.ProxyFlags.Resolve, $"{n.Key}={string.Join(',', n.Value)}" })];

    /// <summary>Reads <c>DIR/weft-hosts.yaml</c>; none there is <see cref="Empty"/>.</summary>
    /// <exception cref="FormatException">The file is not such a map; the message names the file and the entry.</exception>
    public static HostsFile Load(string manifestDirectory)
    {
        var file = Path.Combine(manifestDirectory, LocalFileName);
        return File.Exists(file) ? Parse(File.ReadAllText(file), file) : Empty;
    }

    public static HostsFile Parse(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"{fileName}: {e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return Empty;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            throw new FormatException($"{fileName}: expected a map of host name to address(es), like \"api.example.test: 127.0.0.1\".");
        }

        var names = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        var services = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value?.Trim().TrimEnd('.').ToLowerInvariant();
            if (string.IsNullOrEmpty(name) || Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                throw new FormatException($"{fileName} line {key.Start.Line}: \"{(key as YamlScalarNode)?.Value}\" is not a DNS host name.");
            }

            if (names.ContainsKey(name) || services.ContainsKey(name))
            {
                throw new FormatException($"{fileName} line {key.Start.Line}: {name} is listed twice.");
            }

            if (value is YamlMappingNode target)
            {
                var service = target.Children.Count == 1 && target.Children.TryGetValue(new YamlScalarNode("service"), out var s) ? (s as YamlScalarNode)?.Value : null;
                if (service?.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                {
                    throw new FormatException($"{fileName} line {value.Start.Line}: {name}: expected {{service: namespace/name}}.");
                }

                services[name] = service;
                continue;
            }

            IEnumerable<YamlNode> items = value is YamlSequenceNode list ? list.Children : [value];
            var addresses = new List<IPAddress>();
            foreach (var item in items)
            {
                if (item is not YamlScalarNode { Value: { } text } || !IPAddress.TryParse(text, out var address))
                {
                    throw new FormatException($"{fileName} line {item.Start.Line}: {name}: \"{(item as YamlScalarNode)?.Value}\" is not an IP address.");
                }

                addresses.Add(address);
            }

            if (addresses.Count == 0)
            {
                throw new FormatException($"{fileName} line {value.Start.Line}: {name} has no address.");
            }

            names[name] = addresses;
        }

        return new HostsFile(names, services);
    }
}
