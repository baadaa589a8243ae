using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Infrastructure;

/// <summary>
/// One sidecar on 127.0.0.1 with OS-assigned ports and a static policy map. Endpoints on 127.0.0.1 reach the test
/// backends through the same proxy's inbound listener (peers' inbound port = its own), as in a one-pod mesh.
/// </summary>
public sealed class TestMesh : IAsyncDisposable
{
    private readonly List<IDisposable> _clients = [];

    private TestMesh(RunningProxy proxy, CapturedLogs logs)
    {
        Proxy = proxy;
        Logs = logs;
        Client = Track(new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://{proxy.OutboundEndpoint}"),
            UseProxy = true,
            AllowAutoRedirect = false,
            UseCookies = false,
        }));
    }

    public RunningProxy Proxy { get; }

    public CapturedLogs Logs { get; }

    /// <summary>Sends through the outbound listener as an HTTP proxy (absolute-form requests).</summary>
    public HttpClient Client { get; }

    public static Task<TestMesh> StartAsync(params (string HostPort, DestinationPolicy Policy)[] destinations) =>
        StartAsync(new StaticDestinationSource(destinations.Select(d => KeyValuePair.Create(d.HostPort, d.Policy))));

    /// <param name="destinations">The policies the sidecar is given.</param>
    /// <param name="time">The sidecar's clock.</param>
    /// <param name="resolve">External host names and their addresses (<c>--resolve</c>); no name is ever asked of a nameserver.</param>
    public static async Task<TestMesh> StartAsync(IDestinationSource destinations, TimeProvider? time = null, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? resolve = null)
    {
        var logs = new CapturedLogs();
        var proxy = await ProxyHost.StartAsync(new ProxyOptions
        {
            PodNamespace = "default",
            PodName = "client",
            PodIp = IPAddress.Loopback,
            OutboundPort = 0,
            InboundPort = 0,
            AdminPort = 0,
            Destinations = destinations,
            TimeProvider = time ?? TimeProvider.System,
            Resolve = resolve ?? new Dictionary<string, IReadOnlyList<IPAddress>>(),
            Nameservers = [],
            // No test here is about the detection bound (200 ms in a sidecar): a client that writes its first bytes after
            // reading CONNECT's 200, on a machine loaded by tests starting in parallel, can be slower than that, and a
            // tunnel to an address the mesh does not know would then be served as opaque (a server-first protocol).
            ProtocolDetectionTimeout = TimeSpan.FromSeconds(10),
            ConfigureLogging = logging =>
            {
                logging.ClearProviders();
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddProvider(logs);
            },
        });
        return new TestMesh(proxy, logs);
    }

    /// <summary>A client whose connections are CONNECT tunnels to <paramref name="target"/> through the outbound listener.</summary>
    public HttpClient TunnelClient(string target)
    {
        var outbound = Proxy.OutboundEndpoint;
        return Track(new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(outbound, ct);
                var stream = new NetworkStream(socket, ownsSocket: true);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"), ct);
                var head = await ReadHeadAsync(stream, ct);
                if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                {
                    throw new HttpRequestException($"CONNECT refused: {head}");
                }

                return stream;
            },
        }));
    }

    /// <summary>Sends raw bytes on a fresh connection and returns everything the proxy answered before closing or going idle.</summary>
    public static async Task<string> SendRawAsync(IPEndPoint endpoint, string request)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endpoint, timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        return await ReadHeadAsync(stream, timeout.Token);
    }

    /// <summary>Reads up to the end of a response header block.</summary>
    public static async Task<string> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(bytes))
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                break;
            }

            bytes.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. bytes]);
    }

    /// <summary>GET through the proxy; the response and, when a backend answered, what it saw.</summary>
    public static async Task<(HttpResponseMessage Response, EchoedRequest? Echo)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var echo = response.Headers.Contains("x-backend") ? EchoedRequest.Parse(body) : null;
        return (response, echo);
    }

    public Task<(HttpResponseMessage Response, EchoedRequest? Echo)> GetAsync(string url, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return SendAsync(Client, request);
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("WEFT_TEST_LOGS") == "1")
        {
            foreach (var line in Logs.Lines)
            {
                Console.Error.WriteLine(line);
            }
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Proxy.DisposeAsync();
    }

    private T Track<T>(T client)
        where T : IDisposable
    {
        _clients.Add(client);
        return client;
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';
}
