using System.Globalization;
using Weft.Routing;

namespace Weft.Cli.Capture;

/// <summary>
/// What <c>weft init</c> captures: the sidecar's listeners, whose traffic is the sidecar's own (by uid and/or gid), and
/// what is left alone. Lists are kept sorted and without duplicates, so two equal option sets always render the same
/// rules and the same arguments.
/// </summary>
internal sealed record CaptureOptions
{
    public const int DefaultProxyId = MeshPorts.SidecarUid;

    private readonly IReadOnlyList<int> _excludeInboundPorts = [];
    private readonly IReadOnlyList<int> _excludeOutboundPorts = [];
    private readonly IReadOnlyList<Ipv4Cidr> _excludeOutboundCidrs = [];

    public static CaptureOptions Default { get; } = new();

    /// <summary>The sidecar's uid; its traffic is never captured. Null: do not match on the uid.</summary>
    public uint? ProxyUid { get; init; } = DefaultProxyId;

    /// <summary>The sidecar's gid; its traffic is never captured. Null: do not match on the gid.</summary>
    public uint? ProxyGid { get; init; } = DefaultProxyId;

    // The sidecar's own defaults (MeshPorts): weft init's rules and weft proxy's listeners agree by construction.
    public int OutboundPort { get; init; } = MeshPorts.Outbound;

    public int InboundPort { get; init; } = MeshPorts.Inbound;

    public int AdminPort { get; init; } = MeshPorts.Admin;

    /// <summary>Ports whose inbound TCP goes straight to the app (sorted, without duplicates).</summary>
    public IReadOnlyList<int> ExcludeInboundPorts
    {
        get => _excludeInboundPorts;
        init => _excludeInboundPorts = [.. value.Distinct().Order()];
    }

    /// <summary>Destination ports whose outbound TCP is not captured (sorted, without duplicates).</summary>
    public IReadOnlyList<int> ExcludeOutboundPorts
    {
        get => _excludeOutboundPorts;
        init => _excludeOutboundPorts = [.. value.Distinct().Order()];
    }

    /// <summary>Destination networks whose outbound TCP is not captured (sorted, without duplicates).</summary>
    public IReadOnlyList<Ipv4Cidr> ExcludeOutboundCidrs
    {
        get => _excludeOutboundCidrs;
        init => _excludeOutboundCidrs = [.. value.Distinct().OrderBy(c => c.Network).ThenBy(c => c.PrefixLength)];
    }

    public IptablesMode Mode { get; init; } = IptablesMode.Auto;

    /// <summary>
    /// What would make these rules wrong: a port outside 1..65535, two listeners on one port, no way to recognise the
    /// sidecar's own traffic (it would be captured again, a loop), or overlapping excluded networks. Empty when valid.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, port) in Listeners)
        {
            if (!IsPort(port))
            {
                problems.Add($"{name}: '{port}' is not a port (1-65535)");
            }
        }

        foreach (var ((name, port), (otherName, otherPort)) in Pairs(Listeners))
        {
            if (port == otherPort)
            {
                problems.Add($"{name} and {otherName} are both {port}: each listener of the sidecar needs its own port");
            }
        }

        if (ProxyUid is null && ProxyGid is null)
        {
            problems.Add($"{CaptureArguments.ProxyUid} and {CaptureArguments.ProxyGid} are both none: the sidecar's own traffic would be captured again (a loop); give at least one");
        }

        foreach (var (name, ports) in new[] { (CaptureArguments.ExcludeInboundPorts, ExcludeInboundPorts), (CaptureArguments.ExcludeOutboundPorts, ExcludeOutboundPorts) })
        {
            problems.AddRange(ports.Where(p => !IsPort(p)).Select(p => $"{name}: '{p}' is not a port (1-65535)"));
        }

        foreach (var (cidr, other) in Pairs(ExcludeOutboundCidrs))
        {
            if (cidr.Overlaps(other))
            {
                problems.Add($"{CaptureArguments.ExcludeOutboundCidrs}: '{cidr}' overlaps '{other}'");
            }
        }

        return problems;
    }

    /// <summary>
    /// The exact command line for these options, verb first (<c>init --proxy-uid 1337 …</c>): what <c>weft up</c> runs in
    /// each pod's network namespace and what an init container's <c>args</c> would hold. Every setting is spelled out,
    /// so the rules do not depend on the defaults of the weft that runs them.
    /// </summary>
    public IReadOnlyList<string> ToArguments()
    {
        List<string> args =
        [
            "init",
            CaptureArguments.ProxyUid, CaptureArguments.FormatId(ProxyUid),
            CaptureArguments.ProxyGid, CaptureArguments.FormatId(ProxyGid),
            CaptureArguments.OutboundPort, Text(OutboundPort),
            CaptureArguments.InboundPort, Text(InboundPort),
            CaptureArguments.AdminPort, Text(AdminPort),
        ];
        AddList(args, CaptureArguments.ExcludeInboundPorts, ExcludeInboundPorts.Select(Text));
        AddList(args, CaptureArguments.ExcludeOutboundPorts, ExcludeOutboundPorts.Select(Text));
        AddList(args, CaptureArguments.ExcludeOutboundCidrs, ExcludeOutboundCidrs.Select(c => c.ToString()));
        args.Add(CaptureArguments.Mode);
        args.Add(CaptureArguments.FormatMode(Mode));
        return args;
    }

    // Records compare lists by reference; two option sets are the same when their lists hold the same values.
    public bool Equals(CaptureOptions? other) =>
        other is not null
        && (ProxyUid, ProxyGid, OutboundPort, InboundPort, AdminPort, Mode) == (other.ProxyUid, other.ProxyGid, other.OutboundPort, other.InboundPort, other.AdminPort, other.Mode)
        && ExcludeInboundPorts.SequenceEqual(other.ExcludeInboundPorts)
        && ExcludeOutboundPorts.SequenceEqual(other.ExcludeOutboundPorts)
        && ExcludeOutboundCidrs.SequenceEqual(other.ExcludeOutboundCidrs);

    public override int GetHashCode() => HashCode.Combine(ProxyUid, ProxyGid, OutboundPort, InboundPort, AdminPort, Mode,
        ExcludeInboundPorts.Count, ExcludeOutboundPorts.Count + ExcludeOutboundCidrs.Count);

    private (string Name, int Port)[] Listeners =>
        [(CaptureArguments.OutboundPort, OutboundPort), (CaptureArguments.InboundPort, InboundPort), (CaptureArguments.AdminPort, AdminPort)];

    private static bool IsPort(int port) => port is >= 1 and <= 65535;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<(T, T)> Pairs<T>(IReadOnlyList<T> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            for (var j = i + 1; j < items.Count; j++)
            {
                yield return (items[i], items[j]);
            }
        }
    }

    private static void AddList(List<string> args, string name, IEnumerable<string> values)
    {
        var joined = string.Join(',', values);
        if (joined.Length > 0)
        {
            args.Add(name);
            args.Add(joined);
        }
    }
}
