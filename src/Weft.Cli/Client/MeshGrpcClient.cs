using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Grpc.Core;
using Grpc.Net.Client;
using Weft.Echo.Protocol;

namespace Weft.Cli.Client;

/// <summary>
/// Calls the echo server's <c>EchoTestService/Echo</c> the way an app in a pod does in the local mode, through a
/// <see cref="PodDialer"/> (a CONNECT tunnel through its sidecar, or a plain connection from inside the pod), then HTTP/2
/// cleartext with prior knowledge (h2c). The request's headers go as gRPC metadata. Failures come back as a gRPC status, never as an exception
/// (except cancellation by the caller).
/// </summary>
/// <remarks>
/// One <see cref="GrpcChannel"/> per destination, kept for the client's lifetime: as with <see cref="MeshClient"/>, use
/// one client per "client process" (one call, or one batch) so a batch shares one HTTP/2 connection, as upstream's does.
/// </remarks>
internal sealed class MeshGrpcClient : IDisposable
{
    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout;

    public MeshGrpcClient(IPEndPoint sidecar, TimeSpan? timeout = null)
        : this(new SidecarProxyDialer(sidecar), timeout)
    {
    }

    public MeshGrpcClient(PodDialer dialer, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(dialer);
        Dialer = dialer;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>How connections are opened (through the sidecar, or from inside the pod).</summary>
    public PodDialer Dialer { get; }

    /// <summary>The channel address for a <c>grpc://host[:port]</c> URL: <c>http://host:port</c> (port 80 by default, as the echo client).</summary>
    public static Uri ChannelAddress(MeshRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var port = request.Url.IsDefaultPort || request.Url.Port < 0 ? 80 : request.Url.Port;
        return new UriBuilder(Uri.UriSchemeHttp, request.Url.Host, port).Uri;
    }

    /// <summary>
    /// The call's metadata: the request's headers in order, names lower-cased (gRPC metadata keys are); <c>Host</c>
    /// and HTTP/2 pseudo-headers are left out (the authority is the URL's).
    /// </summary>
    public static Metadata BuildMetadata(MeshRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var metadata = new Metadata();
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.StartsWith(':'))
            {
                continue;
            }

            metadata.Add(name.ToLowerInvariant(), value);
        }

        return metadata;
    }

    public async Task<MeshGrpcResponse> CallAsync(MeshRequest request, CancellationToken ct, string message = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Url.Scheme != "grpc")
        {
            throw new NotSupportedException($"MeshGrpcClient calls grpc:// URLs, not {request.Url.Scheme}://");
        }

        var client = new EchoTestService.EchoTestServiceClient(Channel(request));
        using var call = client.EchoAsync(
            new EchoRequest { Message = message },
            new CallOptions(BuildMetadata(request), TimeProvider.System.GetUtcNow().UtcDateTime + _timeout, ct));
        try
        {
            var reply = await call.ResponseAsync;
            return new MeshGrpcResponse
            {
                Status = (int)StatusCode.OK,
                Message = reply.Message,
                Headers = Flatten(await call.ResponseHeadersAsync),
                Trailers = Flatten(call.GetTrailers()),
            };
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            return new MeshGrpcResponse
            {
                Status = (int)e.StatusCode,
                Detail = e.Status.Detail,
                Trailers = Flatten(e.Trailers),
                TransportError = e.Status.DebugException,
            };
        }
    }

    /// <summary>
    /// Whether a failed call's transport error says the other end does not speak HTTP/2 (it answered the h2c preface
    /// with something else, or closed the connection on it): the HTTP/2 protocol errors SocketsHttpHandler reports.
    /// </summary>
    public static bool IsHttp2ProtocolError(MeshGrpcResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        for (var e = response.TransportError; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException
                || (e is HttpRequestException h && h.HttpRequestError is HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.VersionNegotiationError)
                || e is AuthenticationException

                // SocketsHttpHandler's "An HTTP/2 connection could not be established because the server did not
                // complete the HTTP/2 handshake" (the peer answered the preface in HTTP/1.1 and closed) has no error code,
                // and comes as an IOException or, when the connection closed before its handshake was awaited, an
                // HttpRequestException of no HttpRequestError.
                || (e is IOException or HttpRequestException && e.Message.Contains("HTTP/2", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
    }

    /// <summary>The channel (one per address and connection target) the call <paramref name="request"/> asks for goes over.</summary>
    internal GrpcChannel Channel(MeshRequest request)
    {
        var (host, port) = request.ConnectTo is null ? (request.Url.Host, ChannelAddress(request).Port) : request.Target;
        var address = ChannelAddress(request);
        var key = $"{address}|{host}:{port}";
        if (_channels.TryGetValue(key, out var channel))
        {
            return channel;
        }

        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            EnableMultipleHttp2Connections = false,

            // The connection's target is where the sidecar routes (the Service's address); the channel's authority stays the URL's.
            ConnectCallback = (_, token) => Dialer.ConnectAsync(host, port, token),
        };
        channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        _channels[key] = channel;
        return channel;
    }

    private static List<KeyValuePair<string, string>> Flatten(Metadata metadata) =>
        [.. metadata.Where(e => !e.IsBinary).Select(e => new KeyValuePair<string, string>(e.Key, e.Value))];
}
