using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Weft.Echo.Http;

namespace Weft.Echo.Tcp;

/// <summary>
/// A TCP echo port, like the upstream echo app's TCP endpoint (istio pkg/test/echo/server/endpoint/tcp.go):
/// every chunk read is written back unchanged; after the first chunk the server also writes its identity
/// (<c>StatusCode=200</c>, <c>ServiceVersion=</c>, <c>ServicePort=</c>, <c>IP=</c>, <c>Hostname=</c>), so a TCP client
/// can tell which backend answered. The server never speaks first.
/// </summary>
internal sealed class TcpEchoListener : IAsyncDisposable
{
    private readonly EchoOptions _options;
    private readonly X509Certificate2? _certificate;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Task _acceptLoop = Task.CompletedTask;
    private int _disposed;

    public TcpEchoListener(EchoOptions options, IPEndPoint endPoint, X509Certificate2? certificate, ILogger logger)
    {
        _options = options;
        _certificate = certificate;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public void Start() => _acceptLoop = AcceptLoopAsync(_stopping.Token);

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                EchoLog.TcpAcceptFailed(_logger, EndPoint.ToString(), e.Message);
                continue;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(client, stopping));
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        var remote = client.RemoteEndPoint as IPEndPoint;
        try
        {
            await using Stream stream = _certificate is null
                ? new NetworkStream(client, ownsSocket: true)
                : await AuthenticateAsync(new NetworkStream(client, ownsSocket: true), stopping);
            var buffer = new byte[4096];
            var identitySent = false;
            while (true)
            {
                var read = await stream.ReadAsync(buffer, stopping);
                if (read == 0)
                {
                    return;
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), stopping);
                if (!identitySent)
                {
                    identitySent = true;
                    var identity = new EchoText()
                        .Field(EchoField.StatusCode, "200")
                        .Field(EchoField.ServiceVersion, _options.ServiceVersion)
                        .Field(EchoField.ServicePort, EndPoint.Port.ToString(CultureInfo.InvariantCulture))
                        .Field(EchoField.IP, EchoHttpHandler.ClientAddress(remote?.Address))
                        .Field(EchoField.Hostname, _options.Hostname)
                        .ToString();
                    await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(identity), stopping);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The peer went away or the server is stopping: nothing to report to anyone.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task<Stream> AuthenticateAsync(NetworkStream network, CancellationToken stopping)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, stopping);
        return tls;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        _socket.Dispose();
        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections];
        }

        await _acceptLoop;
        await Task.WhenAll(pending);
        _stopping.Dispose();
    }
}
