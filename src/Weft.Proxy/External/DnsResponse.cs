using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Weft.Proxy.External;

/// <summary>
/// The reply to an A query (<see cref="DnsQuery"/>) as a stub resolver reads it: its RCODE, its TC bit, and the addresses
/// of the name asked. The A records may belong to the end of a CNAME chain in the same answer (RFC 1034 3.6.2), which is
/// followed; <see cref="Ttl"/> is the least TTL of the records used, chain included, since the answer is only as fresh as
/// its shortest-lived link (a TTL with its top bit set counts as 0, RFC 2181 8).
/// </summary>
public sealed record DnsResponse(int ResponseCode, bool Truncated, IReadOnlyList<IPAddress> Addresses, TimeSpan Ttl)
{
    /// <summary>The longest CNAME chain followed; a longer one (or a loop) ends there.</summary>
    private const int MaxChain = 8;

    /// <summary>
    /// Reads <paramref name="reply"/> as the answer to query <paramref name="id"/> for <paramref name="name"/>; false when it is
    /// not that answer: another ID, not a response, another question (a case-insensitive match, as resolvers that mix case
    /// expect), or malformed. A resolver ignores such a packet and keeps waiting, so a spoofed or stray one changes nothing.
    /// A truncated reply or an error is read without its records.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> reply, ushort id, string name, [NotNullWhen(true)] out DnsResponse? response)
    {
        ArgumentNullException.ThrowIfNull(name);
        response = null;
        if (reply.Length < DnsWire.HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(reply) != id)
        {
            return false;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(reply[2..]);
        if ((flags & DnsWire.FlagResponse) == 0 || (flags & DnsWire.OpcodeMask) != DnsWire.OpcodeQuery
            || BinaryPrimitives.ReadUInt16BigEndian(reply[4..]) != 1)
        {
            return false;
        }

        var asked = name.EndsWith('.') ? name.AsSpan(0, name.Length - 1) : name.AsSpan();
        Span<char> text = stackalloc char[DnsName.MaxWireLength];
        var position = DnsWire.HeaderLength;
        if (!DnsName.TryRead(reply, ref position, text, out var length, followPointers: true) || reply.Length - position < 4
            || !text[..length].Equals(asked, StringComparison.OrdinalIgnoreCase)
            || BinaryPrimitives.ReadUInt16BigEndian(reply[position..]) != DnsWire.TypeA
            || BinaryPrimitives.ReadUInt16BigEndian(reply[(position + 2)..]) != DnsWire.ClassIn)
        {
            return false;
        }

        position += 4;
        var responseCode = flags & DnsWire.ResponseCodeMask;
        var truncated = (flags & DnsWire.FlagTruncated) != 0;
        if (truncated || responseCode != DnsWire.NoError)
        {
            response = new DnsResponse(responseCode, truncated, [], TimeSpan.Zero);
            return true;
        }

        var answers = BinaryPrimitives.ReadUInt16BigEndian(reply[6..]);
        var aliases = new List<(string Owner, string Target, uint Ttl)>();
        var records = new List<(string Owner, IPAddress Address, uint Ttl)>();
        for (var i = 0; i < answers; i++)
        {
            if (!DnsName.TryRead(reply, ref position, text, out length, followPointers: true) || reply.Length - position < DnsWire.RecordFixedLength)
            {
                return false;
            }

            var owner = new string(text[..length]);
            var type = BinaryPrimitives.ReadUInt16BigEndian(reply[position..]);
            var @class = BinaryPrimitives.ReadUInt16BigEndian(reply[(position + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(reply[(position + 4)..]);
            var dataLength = BinaryPrimitives.ReadUInt16BigEndian(reply[(position + 8)..]);
            position += DnsWire.RecordFixedLength;
            if (reply.Length - position < dataLength)
            {
                return false;
            }

            var dataEnd = position + dataLength;
            ttl = ttl > int.MaxValue ? 0 : ttl;
            if (@class == DnsWire.ClassIn && type == DnsWire.TypeA && dataLength == 4)
            {
                records.Add((owner, new IPAddress(reply.Slice(position, 4)), ttl));
            }
            else if (@class == DnsWire.ClassIn && type == DnsWire.TypeCname)
            {
                var at = position;
                if (!DnsName.TryRead(reply, ref at, text, out length, followPointers: true) || at != dataEnd)
                {
                    return false;
                }

                aliases.Add((owner, new string(text[..length]), ttl));
            }

            position = dataEnd;
        }

        var current = asked.ToString();
        var least = uint.MaxValue;
        for (var hop = 0; hop < MaxChain; hop++)
        {
            var alias = aliases.FindIndex(a => string.Equals(a.Owner, current, StringComparison.OrdinalIgnoreCase));
            if (alias < 0)
            {
                break;
            }

            least = Math.Min(least, aliases[alias].Ttl);
            current = aliases[alias].Target;
        }

        var addresses = new List<IPAddress>();
        foreach (var record in records)
        {
            if (string.Equals(record.Owner, current, StringComparison.OrdinalIgnoreCase))
            {
                addresses.Add(record.Address);
                least = Math.Min(least, record.Ttl);
            }
        }

        response = new DnsResponse(DnsWire.NoError, false, addresses, addresses.Count == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(least));
        return true;
    }
}
