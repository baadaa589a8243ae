using System.Net;
using System.Net.Sockets;
using Weft.Proxy.External;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// What a pod's resolver does with a name, done from this process: the names of <see cref="ClusterDnsNames.QueryNames"/>
/// (the pod's search list and ndots), each asked for its A records over UDP, from a socket inside the pod's network
/// namespace, of the pod's nameserver (Weft's answerer on the gateway), until one has addresses. So <c>weft curl</c>
/// resolves a name exactly as an app of the pod would (headless Services included), not from a copy of the answers. The
/// query and the answer's reading are the sidecar's (<see cref="DnsQuery"/>, <see cref="DnsResponse"/>).
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
            var query = DnsQuery.ForAddresses(++id, name);
            if (query is null)
            {
                continue;
            }

            await socket.SendAsync(query, ct);
            var reply = new byte[DnsWire.MaxUdpLength];
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

            if (DnsResponse.TryRead(reply.AsSpan(0, length), id, name, out var response) && response.Addresses.Count > 0)
            {
                return response.Addresses;
            }
        }

        return [];
    }
}
