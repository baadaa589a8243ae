using Weft.Cli.Capture;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// The IPv4 range the network-namespace mode takes its addresses from (<c>weft up --netns-range</c>, default
/// <c>198.18.0.0/15</c>, reserved for benchmarking test networks by RFC 2544, so never anyone's real network). It is cut
/// into /23 blocks, one per running mesh: the first /24 for pods (its <c>.1</c> is the node's gateway), the second for
/// Service ClusterIPs.
/// </summary>
internal sealed record NetnsRange(Ipv4Cidr Range)
{
    public const string DefaultCidr = "198.18.0.0/15";

    /// <summary>A block is a /23: 254 pod addresses and 254 ClusterIPs.</summary>
    public const int BlockPrefixLength = 23;

    /// <summary>
    /// Where a range may be: RFC 1918's private networks, RFC 6598's shared space, RFC 2544's benchmarking range. Nothing
    /// anyone reaches on the Internet (or a cloud's link-local metadata address) can be shadowed by a mesh's addresses.
    /// </summary>
    private static readonly Ipv4Cidr[] Private =
    [
        new(0x0A000000, 8), new(0xAC100000, 12), new(0xC0A80000, 16), new(0x64400000, 10), new(0xC6120000, 15),
    ];

    public static readonly NetnsRange Default = Parse(DefaultCidr);

    public int BlockCount => 1 << (BlockPrefixLength - Range.PrefixLength);

    public string Cidr => Range.ToString();

    public NetnsBlock Block(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BlockCount);
        return new NetnsBlock(index, Range.Network + ((uint)index << (32 - BlockPrefixLength)));
    }

    /// <summary>Parses <c>a.b.c.d/n</c>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static NetnsRange Parse(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        if (!cidr.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"--netns-range {cidr}: '{cidr}' is not an IPv4 CIDR (a.b.c.d/n)");
        }

        if (!Ipv4Cidr.TryParse(cidr, out var range, out var error))
        {
            throw new FormatException($"--netns-range {cidr}: {error}");
        }

        if (range.PrefixLength > BlockPrefixLength)
        {
            throw new FormatException($"--netns-range {cidr}: too small; a mesh needs a /{BlockPrefixLength} (one /24 for pods, one for Services)");
        }

        if (!Private.Any(p => p.PrefixLength <= range.PrefixLength && p.Overlaps(range)))
        {
            throw new FormatException($"--netns-range {cidr}: not inside a private or test range ({string.Join(", ", Private)}): "
                + "the mesh's Services are local addresses of the whole host, which would shadow real ones");
        }

        return new NetnsRange(range);
    }
}
