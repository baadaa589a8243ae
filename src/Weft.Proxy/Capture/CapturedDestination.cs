using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Weft.Proxy.Capture;

/// <summary>
/// Where a connection that iptables redirected to one of the sidecar's listeners was going (DESIGN decision 5): the
/// pre-NAT destination the kernel keeps in the connection's conntrack entry, read with <c>getsockopt(SOL_IP,
/// SO_ORIGINAL_DST)</c> as Linkerd's and Envoy's listeners do. Only IPv4: the capture rules (<c>weft init</c>) are IPv4.
/// </summary>
internal static class CapturedDestination
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;

    /// <summary>
    /// The original destination of <paramref name="connection"/> when it was redirected (it differs from the address
    /// the connection arrived at); null when it came to the listener directly or the kernel has no NAT entry for it.
    /// </summary>
    public static IPEndPoint? OfRedirected(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket
            || connection.LocalEndPoint is not IPEndPoint local)
        {
            return null;
        }

        var original = Read(socket);
        return original is null || original.Equals(Normalise(local)) ? null : original;
    }

    /// <summary>The socket's <c>SO_ORIGINAL_DST</c>, or null when the kernel has none (no conntrack entry: ENOENT).</summary>
    public static IPEndPoint? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return null;
        }

        // struct sockaddr_in: sa_family (2, host order), sin_port (2, network order), sin_addr (4), zero (8).
        Span<byte> address = stackalloc byte[16];
        int length;
        try
        {
            length = socket.GetRawSocketOption(SolIp, SoOriginalDst, address);
        }
        catch (SocketException)
        {
            return null;
        }

        if (length < 8 || BinaryPrimitives.ReadUInt16LittleEndian(address) != (ushort)AddressFamily.InterNetwork)
        {
            return null;
        }

        return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
    }

    /// <summary>An IPv4-mapped IPv6 endpoint (a dual-mode socket) as the IPv4 endpoint it stands for.</summary>
    private static IPEndPoint Normalise(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
