using System.Buffers.Binary;
using System.Net.Sockets;
using Weft.Proxy.External;
using static Weft.Proxy.External.DnsWire;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// Reads a DNS query and writes the cluster's answer (RFC 1035 4.1), authoritatively and without recursion: nothing is
/// forwarded off the machine, so a name outside <c>cluster.local</c> is NXDOMAIN like an unknown name inside it.
/// <list type="bullet">
/// <item>The answer copies the ID, opcode and RD bit, sets QR and AA, leaves RA clear, and repeats the question as asked
/// (byte for byte, so a resolver's 0x20 case mixing matches).</item>
/// <item>A and AAAA records carry the name as a pointer to the question and a TTL of <see cref="AnswerTtlSeconds"/>; ANY gets
/// both; a name that exists gets NOERROR with no records for any other type, or when it has no address of the type asked.</item>
/// <item>A query that is not well formed gets FORMERR: not one question, answer or authority records, a name with a
/// compression pointer (nothing precedes a query's question to point at), a label over 63 octets, a name over 255 octets,
/// a section cut short, two OPT records. An opcode other than QUERY gets NOTIMP; a class other than IN (or ANY), REFUSED.</item>
/// <item>EDNS (RFC 6891): an OPT record in the additional section raises the UDP size to what it advertises, up to
/// <see cref="MaxEdnsUdpLength"/>, and is answered with an OPT record; an EDNS version above 0 gets BADVERS.</item>
/// <item>An answer that does not fit is sent without its records and with TC set, so the resolver asks again over TCP
/// (RFC 2181 9: an RRset is sent whole or not at all).</item>
/// <item>No answer at all to a packet too short for a header, or to a response (two servers could otherwise bounce packets
/// between them forever).</item>
/// </list>
/// The wire format's numbers and names are <see cref="DnsWire"/>'s and <see cref="DnsName"/>'s (one codec with the sidecar's
/// resolver). Reading never goes past the packet and never follows a pointer, so no input makes it throw or loop; nothing is
/// allocated.
/// </summary>
internal static class DnsMessage
{
    /// <summary>Short, so that a resolver that caches (nscd, systemd-resolved, an app's own) follows the store within seconds.</summary>
    public const uint AnswerTtlSeconds = 5;

    private const int OptRecordLength = 1 + RecordFixedLength;
    private const ushort PointerToQuestion = 0xC000 | HeaderLength;

    /// <summary>
    /// Writes the answer to <paramref name="query"/> into <paramref name="response"/> (at least <see cref="MaxUdpLength"/> bytes)
    /// and returns its length, or 0 when the packet gets no answer.
    /// </summary>
    public static int Respond(ReadOnlySpan<byte> query, Span<byte> response, ClusterDnsNames names, DnsTransport transport)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (response.Length < MaxUdpLength)
        {
            throw new ArgumentException($"a response buffer holds at least {MaxUdpLength} bytes", nameof(response));
        }

        if (query.Length < HeaderLength)
        {
            return 0;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        if ((flags & FlagResponse) != 0)
        {
            return 0;
        }

        if ((flags & OpcodeMask) != OpcodeQuery)
        {
            return WriteHeaderOnly(query, response, NotImplemented);
        }

        Span<char> name = stackalloc char[DnsName.MaxWireLength];
        if (!TryReadQuery(query, name, out var asked))
        {
            return WriteHeaderOnly(query, response, FormatError);
        }

        var limit = transport == DnsTransport.Tcp
            ? Math.Min(response.Length, MaxTcpLength)
            : Math.Min(response.Length, asked.Edns ? Math.Clamp((int)asked.UdpLength, MaxUdpLength, MaxEdnsUdpLength) : MaxUdpLength);

        ClusterDnsAnswer? answer = null;
        int rcode;
        if (asked.Edns && asked.EdnsVersion != 0)
        {
            rcode = BadVersion;
        }
        else if (asked.Class is not (ClassIn or ClassAny))
        {
            rcode = Refused;
        }
        else
        {
            answer = names.Lookup(name[..asked.NameLength]);
            rcode = answer.NameExists ? NoError : NameError;
        }

        query[..2].CopyTo(response);
        query[HeaderLength..asked.QuestionEnd].CopyTo(response[HeaderLength..]);
        var position = asked.QuestionEnd;
        var room = limit - (asked.Edns ? OptRecordLength : 0);
        var records = 0;
        var truncated = false;
        var addresses = answer?.Addresses ?? [];
        for (var i = 0; i < addresses.Count; i++)
        {
            var address = addresses[i];
            var type = address.AddressFamily == AddressFamily.InterNetworkV6 ? TypeAaaa : TypeA;
            if (asked.Type != type && asked.Type != TypeAny)
            {
                continue;
            }

            var length = type == TypeA ? 4 : 16;
            if (position + 2 + RecordFixedLength + length > room)
            {
                truncated = true;
                break;
            }

            var record = response[position..];
            BinaryPrimitives.WriteUInt16BigEndian(record, PointerToQuestion);
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], type);
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], AnswerTtlSeconds);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], (ushort)length);
            address.TryWriteBytes(record[12..], out _);
            position += 2 + RecordFixedLength + length;
            records++;
        }

        if (truncated)
        {
            records = 0;
            position = asked.QuestionEnd;
        }

        if (asked.Edns)
        {
            var opt = response[position..];
            opt[0] = 0; // the root name
            BinaryPrimitives.WriteUInt16BigEndian(opt[1..], TypeOpt);
            BinaryPrimitives.WriteUInt16BigEndian(opt[3..], MaxEdnsUdpLength);
            BinaryPrimitives.WriteUInt32BigEndian(opt[5..], (uint)(rcode >> 4) << 24); // extended RCODE, version 0, no DO bit
            BinaryPrimitives.WriteUInt16BigEndian(opt[9..], 0);
            position += OptRecordLength;
        }

        var responseFlags = FlagResponse | (flags & (OpcodeMask | FlagRecursionDesired)) | (rcode & 0xF)
            | (rcode is NoError or NameError ? FlagAuthoritative : 0) | (truncated ? FlagTruncated : 0);
        WriteHeader(response, (ushort)responseFlags, questions: 1, answers: (ushort)records, additional: (ushort)(asked.Edns ? 1 : 0));
        return position;
    }

    /// <summary>An answer with no sections, to a query whose question cannot be trusted (or whose opcode is not served).</summary>
    private static int WriteHeaderOnly(ReadOnlySpan<byte> query, Span<byte> response, int rcode)
    {
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        query[..2].CopyTo(response);
        WriteHeader(response, (ushort)(FlagResponse | (flags & (OpcodeMask | FlagRecursionDesired)) | rcode), 0, 0, 0);
        return HeaderLength;
    }

    private static void WriteHeader(Span<byte> response, ushort flags, ushort questions, ushort answers, ushort additional)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], questions);
        BinaryPrimitives.WriteUInt16BigEndian(response[6..], answers);
        BinaryPrimitives.WriteUInt16BigEndian(response[8..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], additional);
    }

    /// <summary>The question (its name as text into <paramref name="name"/>) and the EDNS facts of a well-formed query.</summary>
    private static bool TryReadQuery(ReadOnlySpan<byte> query, Span<char> name, out AskedQuestion asked)
    {
        asked = default;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(query[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(query[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(query[8..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(query[10..]);
        if (questions != 1 || answers != 0 || authorities != 0)
        {
            return false;
        }

        var position = HeaderLength;
        if (!DnsName.TryRead(query, ref position, name, out var nameLength) || query.Length - position < 4)
        {
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query[position..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(query[(position + 2)..]);
        position += 4;
        var questionEnd = position;

        // The additional section: the OPT record is read, anything else (a TSIG, say) is stepped over. Each record takes at
        // least 11 bytes, so a large count runs out of packet quickly.
        var edns = false;
        ushort udpLength = 0;
        byte ednsVersion = 0;
        for (var i = 0; i < additional; i++)
        {
            if (!DnsName.TrySkip(query, ref position, out var isRoot) || query.Length - position < RecordFixedLength)
            {
                return false;
            }

            var recordType = BinaryPrimitives.ReadUInt16BigEndian(query[position..]);
            var recordClass = BinaryPrimitives.ReadUInt16BigEndian(query[(position + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(query[(position + 4)..]);
            var dataLength = BinaryPrimitives.ReadUInt16BigEndian(query[(position + 8)..]);
            position += RecordFixedLength;
            if (query.Length - position < dataLength)
            {
                return false;
            }

            position += dataLength;
            if (recordType == TypeOpt)
            {
                // RFC 6891 6.1.1: one OPT record, owned by the root.
                if (edns || !isRoot)
                {
                    return false;
                }

                edns = true;
                udpLength = recordClass;
                ednsVersion = (byte)(ttl >> 16);
            }
        }

        asked = new AskedQuestion(nameLength, questionEnd, type, @class, edns, udpLength, ednsVersion);
        return true;
    }

    private readonly record struct AskedQuestion(int NameLength, int QuestionEnd, ushort Type, ushort Class, bool Edns, ushort UdpLength, byte EdnsVersion);
}
