using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Capture;

/// <summary>An IPv4 network <c>a.b.c.d/n</c> whose host bits are zero, as iptables' <c>-d</c> prints it.</summary>
internal readonly record struct Ipv4Cidr(uint Network, int PrefixLength)
{
    /// <summary>
    /// Reads <c>a.b.c.d/n</c> (a bare address is a /32). Host bits must be zero: <c>10.0.0.1/8</c> is more likely a typo
    /// than a wish for <c>10.0.0.0/8</c>, so it is refused, naming the network it would mean.
    /// </summary>
    public static bool TryParse(string text, out Ipv4Cidr cidr, out string error)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var prefixText = slash < 0 ? "32" : text[(slash + 1)..];
        var prefix = IsDecimal(prefixText, 2) ? int.Parse(prefixText, CultureInfo.InvariantCulture) : -1;
        if (!TryParseAddress(slash < 0 ? text : text[..slash], out var address) || prefix is < 0 or > 32)
        {
            error = $"'{text}' is not an IPv4 CIDR (a.b.c.d/0-32)";
            return false;
        }

        var network = address & MaskOf(prefix);
        if (network != address)
        {
            error = $"'{text}' has host bits set (the network is {new Ipv4Cidr(network, prefix)})";
            return false;
        }

        cidr = new Ipv4Cidr(network, prefix);
        error = "";
        return true;
    }

    /// <summary>Two networks overlap when the shorter prefix's network contains the other's network address.</summary>
    public bool Overlaps(Ipv4Cidr other)
    {
        var mask = MaskOf(Math.Min(PrefixLength, other.PrefixLength));
        return (Network & mask) == (other.Network & mask);
    }

    public bool Contains(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork && (ToUInt32(address) & MaskOf(PrefixLength)) == Network;

    /// <summary>The network's address <paramref name="offset"/> (0 is the network address itself).</summary>
    public IPAddress Address(uint offset) => ToAddress(Network + offset);

    public override string ToString() => $"{FormatAddress(Network)}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public static uint MaskOf(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>An IPv4 address as a number (big-endian, as it is on the wire).</summary>
    public static uint ToUInt32(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out var written) && written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
    }

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static string FormatAddress(uint value) => string.Create(CultureInfo.InvariantCulture,
        $"{value >> 24}.{(value >> 16) & 0xFF}.{(value >> 8) & 0xFF}.{value & 0xFF}");

    // Four decimal numbers, read here rather than by IPAddress.TryParse, which also takes "10", "10.1" and hex. A leading
    // zero is refused: inet_aton, and so other tools, read "010" as octal 8.
    private static bool TryParseAddress(string text, out uint address)
    {
        address = 0;
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (!IsDecimal(part, 3) || int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }

            address = address << 8 | uint.Parse(part, CultureInfo.InvariantCulture);
        }

        return true;
    }

    private static bool IsDecimal(string text, int maxDigits) =>
        text.Length > 0 && text.Length <= maxDigits && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0');
}
