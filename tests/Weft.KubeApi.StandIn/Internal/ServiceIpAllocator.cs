using System.Net;
using System.Net.Sockets;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>Cluster IPs from the service CIDR: the next free address after the network's first, as the bitmap allocator hands them out.</summary>
internal sealed class ServiceIpAllocator
{
    private readonly uint _network;
    private readonly uint _size;
    private readonly HashSet<uint> _taken = [];
    private uint _next = 1;

    public ServiceIpAllocator(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(cidr[..slash]);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("only an IPv4 service CIDR is supported", nameof(cidr));
        }

        var prefix = int.Parse(cidr[(slash + 1)..]);
        _size = prefix == 0 ? uint.MaxValue : 1u << (32 - prefix);
        _network = ToNumber(address) & ~(_size - 1);
    }

    public bool Contains(string ip) =>
        IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork && (ToNumber(a) & ~(_size - 1)) == _network;

    public bool IsTaken(string ip) => IPAddress.TryParse(ip, out var a) && _taken.Contains(ToNumber(a));

    public void Take(string ip)
    {
        if (IPAddress.TryParse(ip, out var a))
        {
            _taken.Add(ToNumber(a));
        }
    }

    public void Release(string ip)
    {
        if (IPAddress.TryParse(ip, out var a))
        {
            _taken.Remove(ToNumber(a));
        }
    }

    public string? Allocate()
    {
        for (uint tried = 0; tried < _size - 2; tried++)
        {
            var candidate = _network + _next;
            _next = _next + 1 >= _size - 1 ? 1 : _next + 1;
            if (_taken.Add(candidate))
            {
                return ToAddress(candidate);
            }
        }

        return null;
    }

    private static uint ToNumber(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static string ToAddress(uint n) => $"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
}
