using System.Buffers.Binary;
using System.Net;
using System.Text;
using Weft.Proxy.External;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>A test client's side of the wire: queries as a stub resolver writes them, and responses read back.</summary>
internal static class DnsTestClient
{
    /// <summary>One question, RD set, optionally an EDNS OPT record advertising 1232 bytes.</summary>
    public static byte[] Query(ushort id, string name, ushort type = DnsWire.TypeA, bool edns = false)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte)(edns ? 1 : 0) };
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        if (edns)
        {
            bytes.AddRange([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
        }

        return [.. bytes];
    }

    /// <summary>Reads a response whose answers name the question by a pointer, as the server writes them.</summary>
    public static DnsReply Read(ReadOnlySpan<byte> message)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var position = 12;
        for (var i = 0; i < questions; i++)
        {
            while (message[position] != 0)
            {
                position += 1 + message[position];
            }

            position += 1 + 4;
        }

        var addresses = new List<IPAddress>();
        for (var i = 0; i < answers; i++)
        {
            Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(message[position..]));
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 10)..]);
            addresses.Add(new IPAddress(message.Slice(position + 12, length)));
            position += 12 + length;
        }

        return new DnsReply(id, flags, questions, addresses, additional);
    }
}
