using System.Globalization;

namespace Weft.Cli.Capture;

/// <summary>The effective capabilities of this process, from the <c>CapEff:</c> line of <c>/proc/self/status</c>.</summary>
internal sealed record ProcessCapabilities(ulong Effective)
{
    /// <summary>CAP_NET_ADMIN: changing netfilter rules (both backends).</summary>
    public const int NetAdmin = 12;

    /// <summary>CAP_NET_RAW: the legacy backend talks to the kernel through a raw socket.</summary>
    public const int NetRaw = 13;

    /// <summary>CAP_SYS_ADMIN: making and entering network namespaces (<c>ip netns add</c>, setns(2)).</summary>
    public const int SysAdmin = 21;

    /// <summary>This process's capabilities; null where there is no <c>/proc/self/status</c> to read (not Linux).</summary>
    public static ProcessCapabilities? Current()
    {
        try
        {
            return FromStatus(File.ReadAllText("/proc/self/status"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ProcessCapabilities? FromStatus(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var effective))
            {
                return new ProcessCapabilities(effective);
            }
        }

        return null;
    }

    public bool Has(int capability) => (Effective & (1UL << capability)) != 0;
}
