using System.Net;

namespace Weft.Proxy.Tests.External;

/// <summary>A resource record a <see cref="FakeNameserver"/> answers with: an A record or a CNAME.</summary>
internal sealed record FakeRecord(string Owner, ushort Type, uint Ttl, byte[] Data)
{
    public static FakeRecord A(string owner, string address, uint ttl) => new(owner, 1, ttl, IPAddress.Parse(address).GetAddressBytes());

    public static FakeRecord Cname(string owner, string target, uint ttl) => new(owner, 5, ttl, FakeQuery.Labels(target));
}
