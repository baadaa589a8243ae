namespace Weft.Proxy.External;

/// <summary>
/// RFC 1035's message format (4.1), the numbers every reader and writer of it shares: the sidecar's
/// <see cref="ExternalResolver"/> (<see cref="DnsQuery"/>, <see cref="DnsResponse"/>) and <c>weft</c>'s cluster answerer and
/// stub resolver. Names are read and written by <see cref="DnsName"/>.
/// </summary>
public static class DnsWire
{
    public const int HeaderLength = 12;

    /// <summary>RFC 1035 4.2.1: the largest UDP message without EDNS.</summary>
    public const int MaxUdpLength = 512;

    /// <summary>The UDP size advertised and honoured at most with EDNS: DNS Flag Day 2020's, which avoids IP fragmentation.</summary>
    public const int MaxEdnsUdpLength = 1232;

    /// <summary>RFC 1035 4.2.2: a TCP message's 2-byte length prefix.</summary>
    public const int MaxTcpLength = ushort.MaxValue;

    /// <summary>A resource record's fixed part after its name: type, class, TTL, RDLENGTH.</summary>
    public const int RecordFixedLength = 10;

    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    public const ushort TypeAny = 255;
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public const ushort FlagResponse = 0x8000;
    public const ushort FlagAuthoritative = 0x0400;
    public const ushort FlagTruncated = 0x0200;
    public const ushort FlagRecursionDesired = 0x0100;
    public const ushort OpcodeMask = 0x7800;
    public const ushort OpcodeQuery = 0;
    public const ushort ResponseCodeMask = 0x000F;

    public const int NoError = 0;
    public const int FormatError = 1;
    public const int ServerFailure = 2;
    public const int NameError = 3;
    public const int NotImplemented = 4;
    public const int Refused = 5;

    /// <summary>An extended RCODE (RFC 6891 6.1.3): its upper 8 bits travel in the OPT record.</summary>
    public const int BadVersion = 16;

    /// <summary>An RCODE as DNS tools print it (<c>NXDOMAIN</c>, <c>SERVFAIL</c>), for messages.</summary>
    public static string ResponseCodeName(int responseCode) => responseCode switch
    {
        NoError => "NOERROR",
        FormatError => "FORMERR",
        ServerFailure => "SERVFAIL",
        NameError => "NXDOMAIN",
        NotImplemented => "NOTIMP",
        Refused => "REFUSED",
        BadVersion => "BADVERS",
        _ => $"RCODE {responseCode}",
    };
}
