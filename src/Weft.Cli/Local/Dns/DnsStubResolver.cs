using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// What a pod's resolver does with a name, done from this process: the names of <see cref="ClusterDnsNames.QueryNames"/>
/// (the pod's search list and ndots), each asked for its A records over UDP, from a socket inside the pod's network
/// namespace, of the pod's nameserver (Weft's answerer on the gateway), until one has addresses. So <c>weft curl</c>
/// resolves a name exactly as an app of the pod would (headless Services included), not from a copy of the answers.
/// </summary>
internal sealed class DnsStubResolver(Func<SocketType, ProtocolType, Task<Socket>> socketInPod, IPEndPoint nameserver)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, string clientNamespace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        using var socket = await socketInPod(SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(nameserver, ct);
        var id = (ushort)Random.Shared.Next(ushort.MaxValue);
        foreach (var name in ClusterDnsNames.QueryNames(host, clientNamespace))
        {
            var query = Query(++id, name);
            if (query is null)
            {
                continue;
            }

            await socket.SendAsync(query, ct);
            var reply = new byte[DnsMessage.MaxUdpLength];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            int length;
            try
            {
                length = await socket.ReceiveAsync(reply, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HttpRequestException($"the pod's nameserver {nameserver} did not answer for {name}");
            }

            var addresses = Answers(reply.AsSpan(0, length), id);
            if (addresses.Count > 0)
            {
                return addresses;
            }
        }

        return [];
    }

    /// <summary>A query for the A records of absolute name <paramref name="name"/> (RD set), or null for a name too long.</summary>
    public static byte[]? Query(ushort id, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var labels = name.TrimEnd('.').Split('.');
        if (labels.Any(l => l.Length is 0 or > 63) || name.Length > 253)
        {
            return null;
        }

        var query = new byte[DnsMessage.HeaderLength + labels.Sum(l => l.Length + 1) + 1 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(2), 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(4), 1); // QDCOUNT
        var at = DnsMessage.HeaderLength;
        foreach (var label in labels)
        {
            query[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label, query.AsSpan(at));
        }

        query[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(at), 1); // A
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(at + 2), 1); // IN
        return query;
    }

    /// <summary>The A records of the answer to query <paramref name="id"/>; none for another ID, an error, or a short packet.</summary>
    public static IReadOnlyList<IPAddress> Answers(ReadOnlySpan<byte> reply, ushort id)
    {
        if (reply.Length < DnsMessage.HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(reply) != id
            || (BinaryPrimitives.ReadUInt16BigEndian(reply[2..]) & 0x800F) != 0x8000) // a response, RCODE 0
        {
            return [];
        }

        var questions = BinaryPrimitives.ReadUInt16BigEndian(reply[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(reply[6..]);
        var at = DnsMessage.HeaderLength;
        for (var i = 0; i < questions; i++)
        {
            if (!SkipName(reply, ref at) || (at += 4) > reply.Length)
            {
                return [];
            }
        }

        var addresses = new List<IPAddress>();
        for (var i = 0; i < answers; i++)
        {
            if (!SkipName(reply, ref at) || at + 10 > reply.Length)
            {
                break;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(reply[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(reply[(at + 8)..]);
            at += 10;
            if (at + length > reply.Length)
            {
                break;
            }

            if (type == 1 && length == 4)
            {
                addresses.Add(new IPAddress(reply.Slice(at, 4)));
            }

            at += length;
        }

        return addresses;
    }

    /// <summary>Steps over a name: labels up to the root, or up to a compression pointer (2 bytes).</summary>
    private static bool SkipName(ReadOnlySpan<byte> message, ref int at)
    {
        while (at < message.Length)
        {
            var length = message[at];
            if ((length & 0xC0) == 0xC0)
            {
                at += 2;
                return at <= message.Length;
            }

            at += length + 1;
            if (length == 0)
            {
                return at <= message.Length;
            }
        }

        return false;
    }
}
