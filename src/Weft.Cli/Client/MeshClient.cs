using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Weft.Cli.Client;

/// <summary>
/// Sends HTTP/1.1 requests the way an app in a pod does in the local mode: through its sidecar's outbound listener, as
/// <c>CONNECT host:port</c> then the request inside the tunnel. The sidecar takes the original destination from the
/// CONNECT target, so the Host header can say something else (<c>MeshClusterIPMatching</c>). Redirects are not followed.
/// </summary>
/// <remarks>
/// The request goes out with <see cref="HttpClient"/> whose connect callback opens the tunnel; the request URI is the
/// CONNECT target, so a pooled connection is only reused for the same destination. Connections are pooled for the
/// client's lifetime: use one client per "client process" (one request, or one batch), as the upstream echo client does.
/// </remarks>
internal sealed class MeshClient : IDisposable
{
    private const int MaxConnectResponseBytes = 16 * 1024;
    private readonly HttpClient _http;

    public MeshClient(IPEndPoint sidecar, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        Sidecar = sidecar;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectThroughSidecarAsync,
        };
        _http = new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
    }

    /// <summary>The sidecar's outbound listener, <c>podIP:15001</c>.</summary>
    public IPEndPoint Sidecar { get; }

    public async Task<MeshResponse> SendAsync(MeshRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Url.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException(request.Url.Scheme == "grpc"
                ? "gRPC not yet supported by weft curl"
                : $"only http:// URLs are supported, not {request.Url.Scheme}://");
        }

        var (host, port) = request.Target;
        var uri = new UriBuilder(Uri.UriSchemeHttp, host, port) { Path = request.Url.AbsolutePath, Query = request.Url.Query.TrimStart('?') }.Uri;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Headers.Host = request.HostHeader;
        List<KeyValuePair<string, string>> contentHeaders = [];
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                contentHeaders.Add(new(name, value));
            }
        }

        if (request.Body is not null || contentHeaders.Count > 0)
        {
            message.Content = new ByteArrayContent(request.Body ?? []);
            foreach (var (name, value) in contentHeaders)
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return new MeshResponse
        {
            StatusCode = (int)response.StatusCode,
            ReasonPhrase = response.ReasonPhrase ?? "",
            Version = response.Version,
            Headers = [.. Flatten(response.Headers), .. Flatten(response.Content.Headers)],
            Body = body,
        };
    }

    public void Dispose() => _http.Dispose();

    private static IEnumerable<KeyValuePair<string, string>> Flatten(HttpHeaders headers) =>
        headers.NonValidated.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)));

    private async ValueTask<Stream> ConnectThroughSidecarAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            try
            {
                await socket.ConnectAsync(Sidecar, ct);
            }
            catch (SocketException e)
            {
                throw new HttpRequestException($"cannot connect to the sidecar at {Sidecar}: {e.Message}", e);
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            var target = $"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"), ct);
            var statusLine = await ReadConnectResponseAsync(stream, ct);
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || parts[1] != "200")
            {
                await stream.DisposeAsync();
                throw new HttpRequestException($"the sidecar at {Sidecar} refused CONNECT {target}: {statusLine}");
            }

            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the CONNECT response head byte by byte (nothing after it is ours to read); returns its status line.</summary>
    private static async Task<string> ReadConnectResponseAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>(128);
        var one = new byte[1];
        while (head.Count < MaxConnectResponseBytes)
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                throw new HttpRequestException("the sidecar closed the connection during CONNECT");
            }

            head.Add(one[0]);
            var n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
            {
                var text = Encoding.ASCII.GetString([.. head]);
                return text[..text.IndexOf('\r', StringComparison.Ordinal)];
            }
        }

        throw new HttpRequestException("the sidecar's CONNECT response is too long");
    }
}
