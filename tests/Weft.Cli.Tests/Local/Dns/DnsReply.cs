using System.Net;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>The parts of a DNS response the tests check.</summary>
internal sealed record DnsReply(ushort Id, ushort Flags, int Questions, IReadOnlyList<IPAddress> Addresses, int Additional)
{
    public int ResponseCode => Flags & 0xF;

    public bool IsResponse => (Flags & 0x8000) != 0;

    public bool Authoritative => (Flags & 0x0400) != 0;

    public bool Truncated => (Flags & 0x0200) != 0;
}
