using Weft.Proxy.External;

namespace Weft.Cli.Local.Dns;

/// <summary>How a query arrived, which bounds the size of its answer (RFC 1035 4.2).</summary>
internal enum DnsTransport
{
    /// <summary>512 bytes, or the EDNS payload size the query advertises, up to <see cref="DnsWire.MaxEdnsUdpLength"/>.</summary>
    Udp,

    /// <summary>Up to 65535 bytes: the 2-byte length prefix.</summary>
    Tcp,
}
