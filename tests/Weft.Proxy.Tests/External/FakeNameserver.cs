using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// A DNS server on loopback for the resolver's tests: UDP and TCP on one OS-chosen port of 127.0.0.1, counting the queries
/// it gets and answering each with what the test's function returns (several datagrams, e.g. a spoofed one first; none, to
/// stay silent). Over TCP it sends the first. While <see cref="Hold"/> is set, UDP answers wait for it.
/// </summary>
internal sealed class FakeNameserver : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Func<FakeQuery, IReadOnlyList<byte[]>> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _udpQueries;
    private int _tcpQueries;

    private FakeNameserver(Socket udp, TcpListener tcp, Func<FakeQuery, IReadOnlyList<byte[]>> answer)
    {
        _udp = udp;
        _tcp = tcp;
        _answer = answer;
        _udpLoop = ServeUdpAsync();
        _tcpLoop = ServeTcpAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>The queries that arrived over UDP.</summary>
    public int Queries => Volatile.Read(ref _udpQueries);

    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>Set: UDP answers wait until it completes.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public static FakeNameserver Start(Func<FakeQuery, byte[]> answer) => Start(q => [answer(q)]);

    public static FakeNameserver Start(Func<FakeQuery, IReadOnlyList<byte[]>> answer)
    {
        // The TCP port must be the UDP one (a nameserver is one address and port); another process may hold it for TCP.
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                return new FakeNameserver(udp, tcp, answer);
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
            }
        }
    }

    /// <summary>A nameserver that never answers (but counts what it gets).</summary>
    public static FakeNameserver Silent() => Start(_ => Array.Empty<byte[]>());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            var received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var query = FakeQuery.Read(buffer.AsSpan(0, received.ReceivedBytes), overTcp: false);
            Interlocked.Increment(ref _udpQueries);
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(_stop.Token);
            }

            foreach (var datagram in _answer(query))
            {
                await _udp.SendToAsync(datagram, SocketFlags.None, received.RemoteEndPoint, _stop.Token);
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            var stream = client.GetStream();
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix, _stop.Token);
            var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
            await stream.ReadExactlyAsync(message, _stop.Token);
            Interlocked.Increment(ref _tcpQueries);
            var answer = _answer(FakeQuery.Read(message, overTcp: true))[0];
            var framed = new byte[2 + answer.Length];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
            answer.CopyTo(framed, 2);
            await stream.WriteAsync(framed, _stop.Token);
        }
    }
}
