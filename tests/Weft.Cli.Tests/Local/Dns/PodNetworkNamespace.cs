using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using static Weft.Cli.Tests.Local.Dns.HostCommand;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>
/// A network namespace standing in for a pod, <c>weft-t-&lt;hex&gt;</c>: its <c>lo</c> up and a veth pair to the host on a
/// /30 of 198.18.254.0/24 that no route or address of the host overlaps (host end .1, pod end .2), plus
/// <c>/etc/netns/&lt;name&gt;/</c>, whose files <c>ip netns exec</c> mounts over <c>/etc</c>. Dispose removes all of it,
/// also after a creation that failed halfway.
/// </summary>
internal sealed class PodNetworkNamespace : IAsyncDisposable
{
    private static readonly TimeSpan LinkDeadline = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> RouteTypes =
        ["unicast", "local", "broadcast", "multicast", "anycast", "unreachable", "blackhole", "prohibit", "throw", "nat"];

    private readonly string _hostLink;
    private readonly string _podLink;
    private bool _namespaceAdded;
    private bool _linkAdded;

    private PodNetworkNamespace(string id)
    {
        Name = $"weft-t-{id}";
        _hostLink = $"wt{id}h";
        _podLink = $"wt{id}p";
    }

    public string Name { get; }

    public IPAddress HostAddress { get; private set; } = IPAddress.None;

    public IPAddress PodAddress { get; private set; } = IPAddress.None;

    private string EtcDirectory => $"/etc/netns/{Name}";

    public static async Task<PodNetworkNamespace> CreateAsync()
    {
        var pod = new PodNetworkNamespace(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        try
        {
            await pod.SetUpAsync();
            return pod;
        }
        catch
        {
            await pod.DisposeAsync();
            throw;
        }
    }

    /// <summary>The pod's <c>/etc/resolv.conf</c> as <c>ip netns exec</c> shows it.</summary>
    public Task WriteResolvConfAsync(string text) => File.WriteAllTextAsync(Path.Combine(EtcDirectory, "resolv.conf"), text);

    /// <summary>Runs a command inside the namespace (with its /etc/netns files mounted).</summary>
    public Task<(int ExitCode, string Output, string Error)> ExecAsync(params string[] command) =>
        RunAsync("ip", ["netns", "exec", Name, .. command]);

    public async ValueTask DisposeAsync()
    {
        if (_linkAdded)
        {
            await RunAsync("ip", "link", "del", _hostLink); // takes the pod end with it
        }

        if (_namespaceAdded)
        {
            await RunAsync("ip", "netns", "del", Name);
        }

        if (Directory.Exists(EtcDirectory))
        {
            Directory.Delete(EtcDirectory, recursive: true);
        }
    }

    private async Task SetUpAsync()
    {
        Directory.CreateDirectory(EtcDirectory);
        await CheckedAsync("ip", "netns", "add", Name);
        _namespaceAdded = true;
        await CheckedAsync("ip", "-n", Name, "link", "set", "lo", "up");

        var subnet = await FreeSubnetAsync();
        var baseAddress = subnet.BaseAddress.GetAddressBytes();
        HostAddress = new IPAddress([baseAddress[0], baseAddress[1], baseAddress[2], (byte)(baseAddress[3] + 1)]);
        PodAddress = new IPAddress([baseAddress[0], baseAddress[1], baseAddress[2], (byte)(baseAddress[3] + 2)]);

        await CheckedAsync("ip", "link", "add", _hostLink, "type", "veth", "peer", "name", _podLink, "netns", Name);
        _linkAdded = true;
        await CheckedAsync("ip", "addr", "add", $"{HostAddress}/30", "dev", _hostLink);
        await CheckedAsync("ip", "link", "set", _hostLink, "up");
        await CheckedAsync("ip", "-n", Name, "addr", "add", $"{PodAddress}/30", "dev", _podLink);
        await CheckedAsync("ip", "-n", Name, "link", "set", _podLink, "up");

        // The kernel activates a link's queue after carrier comes on, asynchronously; until both ends are up, packets drop.
        var waited = Stopwatch.StartNew();
        while (!await BothEndsUpAsync())
        {
            if (waited.Elapsed > LinkDeadline)
            {
                throw new TimeoutException($"veth {_hostLink} <-> {Name}/{_podLink} not up within {LinkDeadline.TotalSeconds} s");
            }

            await Task.Delay(10);
        }
    }

    private async Task<bool> BothEndsUpAsync() =>
        (await File.ReadAllTextAsync($"/sys/class/net/{_hostLink}/operstate")).Trim() == "up"
        && (await CheckedAsync("ip", "-n", Name, "-o", "link", "show", "dev", _podLink)).Contains("state UP", StringComparison.Ordinal);

    /// <summary>A /30 of 198.18.254.0/24 overlapping nothing the host routes to, starting at a random one.</summary>
    private static async Task<IPNetwork> FreeSubnetAsync()
    {
        var routed = new List<IPNetwork>();
        foreach (var line in (await CheckedAsync("ip", "-4", "route", "show", "table", "all")).Split('\n'))
        {
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var at = tokens.Length > 0 && RouteTypes.Contains(tokens[0]) ? 1 : 0;
            if (tokens.Length > at && tokens[at] != "default"
                && IPNetwork.TryParse(tokens[at].Contains('/') ? tokens[at] : $"{tokens[at]}/32", out var network))
            {
                routed.Add(network);
            }
        }

        var start = Random.Shared.Next(64);
        for (var i = 0; i < 64; i++)
        {
            var candidate = new IPNetwork(new IPAddress([198, 18, 254, (byte)((start + i) % 64 * 4)]), 30);
            if (!routed.Any(r => r.Contains(candidate.BaseAddress) || candidate.Contains(r.BaseAddress)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("every /30 of 198.18.254.0/24 overlaps a route of this host");
    }
}
