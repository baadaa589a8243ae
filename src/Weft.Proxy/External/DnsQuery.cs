using System.Buffers.Binary;

namespace Weft.Proxy.External;

/// <summary>A stub resolver's query (RFC 1035 4.1): one question, for the A records of a name, recursion desired.</summary>
public static class DnsQuery
{
    private const int QuestionFixedLength = 4; // type, class

    /// <summary>The query with ID <paramref name="id"/> for the A records of <paramref name="name"/>, or null for a name that cannot be asked (<see cref="DnsName.TryWrite"/>).</summary>
    public static byte[]? ForAddresses(ushort id, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> buffer = stackalloc byte[DnsWire.HeaderLength + DnsName.MaxWireLength + QuestionFixedLength];
        if (!DnsName.TryWrite(name, buffer[DnsWire.HeaderLength..], out var nameLength))
        {
            return null;
        }

        BinaryPrimitives.WriteUInt16BigEndian(buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], DnsWire.FlagRecursionDesired);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 1); // QDCOUNT
        buffer[6..DnsWire.HeaderLength].Clear();
        var at = DnsWire.HeaderLength + nameLength;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], DnsWire.TypeA);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], DnsWire.ClassIn);
        return buffer[..(at + QuestionFixedLength)].ToArray();
    }
}
