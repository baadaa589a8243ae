using System.Buffers.Binary;
using System.Text;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// A query as a <see cref="FakeNameserver"/> received it, and the replies to it, written by hand (not by the codec under
/// test): the question echoed, an answer record owned by the question's name pointing at it (as real servers compress).
/// </summary>
internal sealed record FakeQuery(ushort Id, string Name, byte[] Question, bool OverTcp)
{
    public const int NoError = 0;
    public const int ServerFailure = 2;
    public const int NameError = 3;

    /// <summary>The query at the start of <paramref name="message"/>: its ID and its one question.</summary>
    public static FakeQuery Read(ReadOnlySpan<byte> message, bool overTcp)
    {
        var at = 12;
        var labels = new List<string>();
        while (message[at] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(message.Slice(at + 1, message[at])));
            at += 1 + message[at];
        }

        return new FakeQuery(BinaryPrimitives.ReadUInt16BigEndian(message), string.Join('.', labels), message[12..(at + 5)].ToArray(), overTcp);
    }

    /// <summary>A name's uncompressed wire form.</summary>
    public static byte[] Labels(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    /// <summary>The same query as if it had asked for <paramref name="name"/> (for a reply to another question).</summary>
    public FakeQuery Asking(string name) => this with { Name = name, Question = [.. Labels(name), 0, 1, 0, 1] };

    public byte[] Answer(params FakeRecord[] records) => Reply(NoError, truncated: false, records);

    public byte[] Fail(int responseCode) => Reply(responseCode, truncated: false, []);

    /// <summary>What a server sends over UDP when the answer does not fit: TC set, no records.</summary>
    public byte[] Truncated() => Reply(NoError, truncated: true, []);

    private byte[] Reply(int responseCode, bool truncated, FakeRecord[] records)
    {
        var bytes = new List<byte>();
        var flags = 0x8000 | 0x0100 | 0x0080 | (truncated ? 0x0200 : 0) | responseCode; // QR, RD, RA
        AddUInt16(bytes, Id);
        AddUInt16(bytes, (ushort)flags);
        AddUInt16(bytes, 1);
        AddUInt16(bytes, (ushort)records.Length);
        AddUInt16(bytes, 0);
        AddUInt16(bytes, 0);
        bytes.AddRange(Question);
        foreach (var record in records)
        {
            if (string.Equals(record.Owner, Name, StringComparison.OrdinalIgnoreCase))
            {
                bytes.AddRange([0xC0, 0x0C]);
            }
            else
            {
                bytes.AddRange(Labels(record.Owner));
            }

            AddUInt16(bytes, record.Type);
            AddUInt16(bytes, 1);
            AddUInt16(bytes, (ushort)(record.Ttl >> 16));
            AddUInt16(bytes, (ushort)record.Ttl);
            AddUInt16(bytes, (ushort)record.Data.Length);
            bytes.AddRange(record.Data);
        }

        return [.. bytes];
    }

    private static void AddUInt16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
