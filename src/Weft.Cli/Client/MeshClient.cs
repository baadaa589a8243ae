using System.Net;
using System.Net.Http.Headers;

namespace Weft.Cli.Client;

/// <summary>
/// Sends HTTP/1.1 requests the way an app in a pod does in the local mode, through a <see cref="PodDialer"/>: in process
/// isolation through its sidecar's outbound listener, as <c>CONNECT host:port</c> then the request inside the tunnel; in
/// network namespaces as a plain origin-form request from inside the pod, captured by its rules. Either way the sidecar
/// takes the original destination from the connection, so the Host header can say something else
/// (<c>MeshClusterIPMatching</c>). Redirects are not followed.
/// </summary>
/// <remarks>
/// The request goes out with <see cref="HttpClient"/> whose connect callback dials; the request URI is the
/// connection's target, so a pooled connection is only reused for the same destination. Connections are pooled for the
/// client's lifetime: use one client per "client process" (one request, or one batch), as the upstream echo client does.
/// </remarks>
internal sealed class MeshClient : IDisposable
{
    private readonly HttpClient _http;

    public MeshClient(IPEndPoint sidecar, TimeSpan? timeout = null)
        : this(new SidecarProxyDialer(sidecar), timeout)
    {
    }

    public MeshClient(PodDialer dialer, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(dialer);
        Dialer = dialer;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = (context, ct) => Dialer.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct),
        };
        _http = new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
    }

    /// <summary>How connections are opened (through the sidecar, or from inside the pod).</summary>
    public PodDialer Dialer { get; }

    public async Task<MeshResponse> SendAsync(MeshRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Url.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException(request.Url.Scheme == "grpc"
                ? "grpc:// URLs go through MeshGrpcClient"
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
}
