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

        if (range.Overlaps(new Ipv4Cidr(0x7F000000, 8)) || range.Overlaps(new Ipv4Cidr(0, 8)) || range.Overlaps(new Ipv4Cidr(0xE0000000, 3)))
        {
            throw new FormatException($"--netns-range {cidr}: not a unicast range for pods (it overlaps 0.0.0.0/8, 127.0.0.0/8 or multicast)");
        }

        return new NetnsRange(range);
    }
}
