using System.Globalization;
using Weft.Routing;

namespace Weft.Cli.Capture;

/// <summary>
/// The command line of <c>weft init</c>, one home for both directions: the option names, reading each value (with an error
/// that names the option and the value), and writing them back (<see cref="CaptureOptions.ToArguments"/>).
/// </summary>
internal static class CaptureArguments
{
    public const string ProxyUid = "--proxy-uid";
    public const string ProxyGid = "--proxy-gid";
    public const string OutboundPort = "--outbound-port";
    public const string InboundPort = "--inbound-port";
    public const string AdminPort = "--admin-port";
    public const string ExcludeInboundPorts = "--exclude-inbound-ports";
    public const string ExcludeOutboundPorts = "--exclude-outbound-ports";
    public const string ExcludeOutboundCidrs = "--exclude-outbound-cidrs";
    public const string Mode = "--iptables-mode";
    public const string DryRun = "--dry-run";
    public const string Remove = "--remove";

    /// <summary>How a uid or gid that is not matched on is written.</summary>
    public const string NoId = "none";

    /// <summary>
    /// Reads the option values as given (null: not given, so the default) into options, then checks them as a whole
    /// (<see cref="CaptureOptions.Problems"/>). The first problem found is the error.
    /// </summary>
    public static bool TryRead(
        string? proxyUid, string? proxyGid, string? outboundPort, string? inboundPort, string? adminPort,
        IReadOnlyList<string> excludeInboundPorts, IReadOnlyList<string> excludeOutboundPorts, IReadOnlyList<string> excludeOutboundCidrs,
        string? mode, out CaptureOptions options, out string error)
    {
        options = CaptureOptions.Default;
        var errors = new List<string>();
        var uid = proxyUid is null ? CaptureOptions.Default.ProxyUid : ReadId(ProxyUid, proxyUid, errors);
        var gid = proxyGid is null ? CaptureOptions.Default.ProxyGid : ReadId(ProxyGid, proxyGid, errors);
        var outbound = outboundPort is null ? MeshPorts.Outbound : ReadPort(OutboundPort, outboundPort, errors);
        var inbound = inboundPort is null ? MeshPorts.Inbound : ReadPort(InboundPort, inboundPort, errors);
        var admin = adminPort is null ? MeshPorts.Admin : ReadPort(AdminPort, adminPort, errors);
        var inboundExclusions = Items(excludeInboundPorts).Select(p => ReadPort(ExcludeInboundPorts, p, errors)).ToList();
        var outboundExclusions = Items(excludeOutboundPorts).Select(p => ReadPort(ExcludeOutboundPorts, p, errors)).ToList();
        var cidrs = new List<Ipv4Cidr>();
        foreach (var text in Items(excludeOutboundCidrs))
        {
            if (Ipv4Cidr.TryParse(text, out var cidr, out var cidrError))
            {
                cidrs.Add(cidr);
            }
            else
            {
                errors.Add($"{ExcludeOutboundCidrs}: {cidrError}");
            }
        }

        var iptablesMode = mode is null ? IptablesMode.Auto : ReadMode(mode, errors);
        if (errors.Count == 0)
        {
            options = new CaptureOptions
            {
                ProxyUid = uid,
                ProxyGid = gid,
                OutboundPort = outbound,
                InboundPort = inbound,
                AdminPort = admin,
                ExcludeInboundPorts = inboundExclusions,
                ExcludeOutboundPorts = outboundExclusions,
                ExcludeOutboundCidrs = cidrs,
                Mode = iptablesMode,
            };
            errors.AddRange(options.Problems());
        }

        error = errors.FirstOrDefault() ?? "";
        return errors.Count == 0;
    }

    public static string FormatId(uint? id) => id?.ToString(CultureInfo.InvariantCulture) ?? NoId;

    public static string FormatMode(IptablesMode mode) => mode.ToString().ToLowerInvariant();

    // Lists are comma-separated and the option repeatable; an empty value adds nothing, so "" is an empty list.
    private static IEnumerable<string> Items(IReadOnlyList<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).Where(v => v.Length > 0);

    private static int ReadPort(string option, string text, List<string> errors)
    {
        if (text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && int.Parse(text, CultureInfo.InvariantCulture) is >= 1 and <= 65535 and var port)
        {
            return port;
        }

        errors.Add($"{option}: '{text}' is not a port (1-65535)");
        return 0;
    }

    // "none" or empty: do not match on it. The largest id, 2^32-1, is (uid_t)-1, which the kernel reserves for "no id".
    private static uint? ReadId(string option, string text, List<string> errors)
    {
        if (text.Length == 0 || text.Equals(NoId, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue)
        {
            return id;
        }

        errors.Add($"{option}: '{text}' is not a numeric id (0-4294967294) or '{NoId}'");
        return null;
    }

    private static IptablesMode ReadMode(string text, List<string> errors)
    {
        foreach (var mode in Enum.GetValues<IptablesMode>())
        {
            if (text.Equals(FormatMode(mode), StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        errors.Add($"{Mode}: '{text}' is not one of auto, nft, legacy");
        return IptablesMode.Auto;
    }
}
