using System.Globalization;
using System.Net;
using System.Text;

namespace Weft.Proxy.L4;

/// <summary>
/// How an opaque TCP tunnel tells the destination sidecar which app port it is for: a PROXY protocol v1 line (HAProxy's
/// "PROXY TCP4 src dst sport dport\r\n", at most 107 bytes) sent first, inside the mTLS stream (ALPN <c>weft-tcp</c>) or,
/// from the local kube-proxy, in plaintext to a permissive sidecar. The destination sidecar uses dport only.
/// </summary>
internal static class ProxyProtocolHeader
{
    public const int MaxLength = 107;

    public static ReadOnlySpan<byte> Signature => "PROXY "u8;

    public static byte[] Format(IPEndPoint? source, string destinationAddress, int destinationPort)
    {
        var family = IPAddress.TryParse(destinationAddress, out var d) && d.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "TCP6" : "TCP4";
        var src = source?.Address.ToString() ?? (family == "TCP6" ? "::" : "0.0.0.0");
        var line = string.Create(CultureInfo.InvariantCulture, $"PROXY {family} {src} {destinationAddress} {source?.Port ?? 0} {destinationPort}\r\n");
        return Encoding.ASCII.GetBytes(line);
    }

    /// <summary>The destination port of a header line (without its CRLF); false when malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out int destinationPort)
    {
        destinationPort = 0;
        var text = Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
        var parts = text.Split(' ');
        return parts is ["PROXY", "TCP4" or "TCP6", _, _, _, var dport]
            && int.TryParse(dport, NumberStyles.None, CultureInfo.InvariantCulture, out destinationPort)
            && destinationPort is > 0 and <= 65535;
    }

    /// <summary>Reads one header line from the start of a stream (byte by byte: nothing after it is consumed).</summary>
    public static async Task<int?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxLength];
        var length = 0;
        while (length < MaxLength)
        {
            if (await stream.ReadAsync(buffer.AsMemory(length, 1), ct).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (buffer[length++] == (byte)'\n')
            {
                return buffer.AsSpan(0, length).StartsWith(Signature) && TryParse(buffer.AsSpan(0, length), out var port) ? port : null;
            }
        }

        return null;
    }
}
