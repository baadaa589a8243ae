using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// The IPv4 range the network-namespace mode takes its addresses from (<c>weft up --netns-range</c>, default
/// <c>198.18.0.0/15</c>, reserved for benchmarking test networks by RFC 2544, so never anyone's real network). It is cut
/// into /23 blocks, one per running mesh: the first /24 for pods (its <c>.1</c> is the node's gateway), the second for
/// Service ClusterIPs.
/// </summary>
internal sealed record NetnsRange(uint Network, int PrefixLength)
{
    public const string DefaultCidr = "198.18.0.0/15";

    /// <summary>A block is a /23: 254 pod addresses and 254 ClusterIPs.</summary>
    public const int BlockPrefixLength = 23;

    public static readonly NetnsRange Default = Parse(DefaultCidr);

    public int BlockCount => 1 << (BlockPrefixLength - PrefixLength);

    public string Cidr => $"{Format(Network)}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public NetnsBlock Block(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BlockCount);
        return new NetnsBlock(index, Network + ((uint)index << (32 - BlockPrefixLength)));
    }

    /// <summary>Parses <c>a.b.c.d/n</c>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static NetnsRange Parse(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        if (!TryParseCidr(cidr, out var network, out var length, out var error))
        {
            throw new FormatException($"--netns-range {cidr}: {error}");
        }

        if (length > BlockPrefixLength)
        {
            throw new FormatException($"--netns-range {cidr}: too small; a mesh needs a /{BlockPrefixLength} (one /24 for pods, one for Services)");
        }

        if (Overlaps(network, length, 0x7F000000, 8) || Overlaps(network, length, 0, 8) || network >= 0xE0000000)
        {
            throw new FormatException($"--netns-range {cidr}: not a unicast range for pods (it overlaps 0.0.0.0/8, 127.0.0.0/8 or multicast)");
        }

        return new NetnsRange(network, length);
    }

    /// <summary>Parses an IPv4 CIDR whose host bits are zero.</summary>
    public static bool TryParseCidr(string text, out uint network, out int prefixLength, out string? error)
    {
        network = 0;
        prefixLength = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefixLength) || prefixLength is < 1 or > 32)
        {
            error = "not an IPv4 CIDR (a.b.c.d/n)";
            return false;
        }

        network = ToUInt32(address);
        if ((network & ~Mask(prefixLength)) != 0)
        {
            error = $"host bits set (did you mean {Format(network & Mask(prefixLength))}/{prefixLength.ToString(CultureInfo.InvariantCulture)}?)";
            return false;
        }

        error = null;
        return true;
    }

    public static bool Overlaps(uint a, int aLength, uint b, int bLength)
    {
        var mask = Mask(Math.Min(aLength, bLength));
        return (a & mask) == (b & mask);
    }

    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out var written) && written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
    }

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static string Format(uint value) => ToAddress(value).ToString();
}
