using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Weft.Routing;

namespace Weft.Proxy.Admin;

/// <summary>One of the app's own kubelet probes, which the injector sent to the admin port instead.</summary>
public sealed record AppProbe(int Port, string? Path, bool Https, IReadOnlyList<KeyValuePair<string, string>> Headers, TimeSpan Timeout)
{
    public bool IsTcp => Path is null;
}

/// <summary>
/// The app's probes by admin path (<c>/app-health/CONTAINER/KIND</c>), from <c>WEFT_APP_PROBES</c> (JSON written by the
/// injector: <c>{"PATH": {"port": 8080, "path": "/healthz", "scheme": "HTTP", "httpHeaders": [...]} | {"tcp": 8080}}</c>).
/// A probe is answered by asking the app at the pod IP, as the kubelet would have (the sidecar's own connections are not
/// captured): the app's HTTP status as it is, a TCP connect as 200, anything failing as 503.
/// </summary>
internal sealed class AppProbes : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1); // the kubelet's default timeoutSeconds

    private readonly IReadOnlyDictionary<string, AppProbe> _probes;
    private readonly HttpClient _http;

    public AppProbes(IReadOnlyDictionary<string, AppProbe> probes)
    {
        _probes = probes;

        // The kubelet does not verify an HTTPS probe's certificate, follows no proxy, and keeps no connection.
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.Zero,
#pragma warning disable CA5359 // as the kubelet's HTTPS probes: the app's certificate is not checked (it may be self-signed)
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
#pragma warning restore CA5359
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public int Count => _probes.Count;

    public void Dispose() => _http.Dispose();

    /// <summary>Parses the variable's JSON; throws <see cref="FormatException"/> with what is wrong.</summary>
    public static IReadOnlyDictionary<string, AppProbe> Parse(string json)
    {
        var probes = new Dictionary<string, AppProbe>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (!entry.Name.StartsWith(MeshWire.AppHealthPrefix, StringComparison.Ordinal))
                {
                    throw new FormatException($"probe path '{entry.Name}' is not under {MeshWire.AppHealthPrefix}");
                }

                var probe = entry.Value;
                var timeout = probe.TryGetProperty("timeoutSeconds", out var t) && t.TryGetInt32(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : DefaultTimeout;
                if (probe.TryGetProperty("tcp", out var tcp))
                {
                    probes[entry.Name] = new AppProbe(PortOf(tcp, entry.Name), null, false, [], timeout);
                    continue;
                }

                var headers = new List<KeyValuePair<string, string>>();
                if (probe.TryGetProperty("httpHeaders", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var header in list.EnumerateArray())
                    {
                        headers.Add(new(header.GetProperty("name").GetString() ?? "", header.GetProperty("value").GetString() ?? ""));
                    }
                }

                var path = probe.TryGetProperty("path", out var p) ? p.GetString() ?? "/" : "/";
                var scheme = probe.TryGetProperty("scheme", out var s) ? s.GetString() : "HTTP";
                probes[entry.Name] = new AppProbe(PortOf(probe.GetProperty("port"), entry.Name), path.StartsWith('/') ? path : "/" + path,
                    string.Equals(scheme, "HTTPS", StringComparison.OrdinalIgnoreCase), headers, timeout);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{MeshWire.AppProbesVariable} is not the injector's probe map: {e.Message}", e);
        }

        return probes;
    }

    /// <summary>True when <paramref name="path"/> is one of the app's probes (and it has been answered).</summary>
    public async Task<bool> TryAnswerAsync(HttpContext context, string path, IPAddress podIp)
    {
        if (!_probes.TryGetValue(path, out var probe))
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(probe.Timeout * 0.9); // so that the kubelet gets the 503 and its reason, not a timeout of its own
        context.Response.ContentType = "text/plain";
        try
        {
            if (probe.IsTcp)
            {
                using var socket = new Socket(podIp.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(podIp, probe.Port), timeout.Token);
                context.Response.StatusCode = StatusCodes.Status200OK;
                return true;
            }

            var host = podIp.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{podIp}]" : podIp.ToString();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{(probe.Https ? "https" : "http")}://{host}:{probe.Port.ToString(CultureInfo.InvariantCulture)}{probe.Path}"));
            foreach (var (name, value) in probe.Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            context.Response.StatusCode = (int)response.StatusCode;
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"app probe failed: {e.Message}\n", context.RequestAborted);
        }

        return true;
    }

    private static int PortOf(JsonElement element, string path) =>
        element.TryGetInt32(out var port) && port is > 0 and <= 65535 ? port : throw new FormatException($"{path}: port {element} is not a port number");
}
