using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A raw TCP app on 127.0.0.1 (OS-assigned port): reads each request (head, then a Content-Length or chunked body) and
/// answers with the exact bytes a test scripts, so framing and header lines are under the test's control byte for byte.
/// </summary>
public sealed class ScriptedApp : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener;
    private readonly Func<ScriptedRequest, ScriptedReply> _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<TcpClient> _clients = new();
    private readonly ConcurrentQueue<Task> _serving = new();
    private readonly Task _accepting;
    private int _accepted;
    private int _heads;
    private int _requests;
    private int _truncated;

    private ScriptedApp(Func<ScriptedRequest, ScriptedReply> reply)
    {
        _reply = reply;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public string PortText => Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every whole request read, in arrival order.</summary>
    public ConcurrentQueue<ScriptedRequest> Received { get; } = new();

    /// <summary>How many connections the app accepted (the proxy's pool reuses them).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>How many request heads arrived (a head counts before its body does).</summary>
    public int HeadsRead => Volatile.Read(ref _heads);

    /// <summary>How many requests ended inside their body: the head came, then the connection ended before the body's end.</summary>
    public int Truncated => Volatile.Read(ref _truncated);

    /// <summary>
    /// How many connections to this app are still ESTABLISHED at the other end (the proxy's), read from the kernel's
    /// table (<c>/proc/net/tcp</c>): after the app closes one, its count drops once the app's FIN has reached the proxy's
    /// socket, which is when the proxy can know the connection is gone.
    /// </summary>
    public int EstablishedToIt()
    {
        var port = Port.ToString("X4", CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // "sl local_address rem_address st ...": a proxy's end has the app's port as its remote port; 01 is ESTABLISHED.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[2].EndsWith(":" + port, StringComparison.Ordinal) && fields[3] == "01")
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Starts an app that answers each request with <paramref name="reply"/>.</summary>
    public static ScriptedApp Start(Func<ScriptedRequest, ScriptedReply> reply) => new(reply);

    /// <summary>Starts an app that answers every request with the same bytes.</summary>
    public static ScriptedApp Start(string response, bool close = false) => new(_ => ScriptedReply.Text(response, close));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _accepting;
        await Task.WhenAll(_serving);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            _clients.Enqueue(client);
            var connection = Interlocked.Increment(ref _accepted);
            _serving.Enqueue(ServeAsync(client, connection));
        }
    }

    private async Task ServeAsync(TcpClient client, int connection)
    {
        // The socket, taken before DisposeAsync can dispose the client (which sets client.Client to null): shutting down
        // a disposed socket throws ObjectDisposedException, which ends this loop as a stop should.
        var socket = client.Client;
        var inBody = false;
        try
        {
            var stream = client.GetStream();
            var reader = new WireReader(stream);
            while (true)
            {
                var headBytes = await reader.ReadThroughAsync(HeadEnd, _stop.Token);
                if (headBytes is null)
                {
                    return;
                }

                Interlocked.Increment(ref _heads);
                inBody = true;
                var head = Encoding.Latin1.GetString(headBytes);
                var request = new ScriptedRequest(head, [], connection, Interlocked.Increment(ref _requests));
                byte[]? body = [];
                if (request.Header("transfer-encoding") is { } coding && coding.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    body = (await reader.ReadChunkedAsync(_stop.Token))?.Data;
                }
                else if (request.Header("content-length") is { } length)
                {
                    body = await reader.ReadExactlyAsync(long.Parse(length, CultureInfo.InvariantCulture), _stop.Token);
                }

                if (body is null)
                {
                    return;
                }

                inBody = false;
                request = request with { Body = body };
                Received.Enqueue(request);
                var reply = _reply(request);
                for (var i = 0; i < reply.Parts.Count; i++)
                {
                    if (i > 0 && reply.Pace > TimeSpan.Zero)
                    {
                        await Task.Delay(reply.Pace, _stop.Token);
                    }

                    if (i > 0 && i == reply.Parts.Count - 1 && reply.HoldLastPart is { } hold)
                    {
                        await hold.WaitAsync(_stop.Token);
                    }

                    await stream.WriteAsync(reply.Parts[i], _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }

                if (reply.Close)
                {
                    socket.Shutdown(SocketShutdown.Both);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            if (inBody)
            {
                Interlocked.Increment(ref _truncated); // a reset or an end of stream inside the body
            }

            client.Dispose();
        }
    }
}
