using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Discovery;
using Weft.Proxy.Security;
using Weft.Routing;

namespace Weft.Proxy.Admin;

/// <summary>
/// The admin listener: <c>/ready</c>, <c>/policies</c> (what this proxy applies, per destination), <c>/stats</c>,
/// <c>/identity</c> (own SPIFFE ID, serial, expiry) and <c>/connections</c> (live mTLS connections with TLS version,
/// cipher, ALPN and both SPIFFE IDs), <c>/metrics</c> (Prometheus text, or OpenMetrics when asked), <c>/stat</c> (the last
/// minute per request series, for <c>weft stat</c>) and <c>/app-health/…</c> (the app's kubelet probes,
/// <see cref="AppProbes"/>).
/// </summary>
internal sealed class AdminHandler(
    IDestinationSource destinations, ProxyStats stats, Func<bool> ready, SidecarIdentity? identity = null, MtlsConnections? connections = null,
    Metrics.ProxyMetrics? metrics = null, AppProbes? probes = null, System.Net.IPAddress? podIp = null, IReadOnlyList<ListenerGuard>? listeners = null)
{
    /// <summary>How long a listener has to take the admin handler's probe connection.</summary>
    public static readonly TimeSpan AcceptProbeTimeout = TimeSpan.FromSeconds(1);

    public async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (context.Request.Path.Value)
        {
            case MeshWire.ReadyPath:
                // With mTLS on, ready means the first workload certificate has arrived too; and every listener must still
                // take connections (an accept loop that died leaves its socket open, and connections queue unserved).
                var isReady = ready() && (identity is null || identity.Current is not null);
                var notAccepting = isReady ? await NotAcceptingAsync(context.RequestAborted) : null;
                await AnswerAsync(context, isReady && notAccepting is null,
                    notAccepting is null ? (isReady ? "ready\n" : "starting\n") : $"not ready: {notAccepting}\n");
                break;
            case MeshWire.LivePath:
                var dead = await NotAcceptingAsync(context.RequestAborted);
                await AnswerAsync(context, dead is null, dead is null ? "live\n" : $"not live: {dead}\n");
                break;
            case "/policies":
                await WriteJsonAsync(context, WritePolicies);
                break;
            case "/stats":
                await WriteJsonAsync(context, stats.WriteJson);
                break;
            case "/identity":
                await WriteJsonAsync(context, WriteIdentity);
                break;
            case "/metrics":
                var format = Metrics.ExpositionWriter.Negotiate(context.Request.Headers.Accept.ToString());
                context.Response.ContentType = format == Metrics.ExpositionFormat.OpenMetrics
                    ? Metrics.ExpositionWriter.OpenMetricsContentType
                    : Metrics.ExpositionWriter.PrometheusContentType;
                await context.Response.WriteAsync(metrics?.Write(format) ?? "", context.RequestAborted);
                break;
            case StatPath when metrics is not null:
                if (!TryParseWindow(context.Request.Query["window"].ToString(), out var window))
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsync($"window: a duration such as 10s, 30s or 1m, at most {(int)Metrics.SeriesWindow.MaxWindow.TotalSeconds}s\n");
                    break;
                }

                await WriteJsonAsync(context, writer => metrics.WriteWindow(writer, window));
                break;
            case "/connections":
                await WriteJsonAsync(context, connections is null ? WriteNoMtls : connections.WriteJson);
                break;
            case { } path when path.StartsWith(MeshWire.AppHealthPrefix, StringComparison.Ordinal) && probes is not null && podIp is not null
                && await probes.TryAnswerAsync(context, path, podIp):
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    /// <summary>
    /// The per-window request figures (<see cref="Metrics.ProxyMetrics.WriteWindow"/>): <c>/stat?window=60s</c>, on the
    /// admin port as <c>/metrics</c> is (<c>weft stat</c> reads the same window through the control plane).
    /// </summary>
    public const string StatPath = "/stat";

    /// <summary>A <c>window</c> of whole seconds or minutes (<c>30s</c>, <c>1m</c>), 1 s to a minute; empty means a minute.</summary>
    internal static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = Metrics.SeriesWindow.MaxWindow;
        if (text.Length == 0)
        {
            return true;
        }

        if (!Weft.Discovery.Tap.StatWindows.TryParse(text, out var seconds))
        {
            return false;
        }

        window = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The listeners that did not take a probe connection in time, named; null when all did.</summary>
    private async Task<string?> NotAcceptingAsync(CancellationToken ct)
    {
        if (listeners is not { Count: > 0 })
        {
            return null;
        }

        var accepts = await Task.WhenAll(listeners.Select(l => l.AcceptsAsync(AcceptProbeTimeout, ct)));
        var dead = listeners.Where((_, i) => !accepts[i]).Select(l => $"the {l.Name} listener is not accepting connections").ToArray();
        return dead.Length == 0 ? null : string.Join("; ", dead);
    }

    private static async Task AnswerAsync(HttpContext context, bool ok, string text)
    {
        context.Response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text);
    }

    private void WriteIdentity(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        var current = identity?.Current;
        writer.WriteBoolean("mtls", identity is not null);
        if (current is not null)
        {
            writer.WriteString("spiffeId", current.SpiffeId);
            writer.WriteString("serial", current.Certificate.SerialNumber);
            writer.WriteString("notBefore", new DateTimeOffset(current.Certificate.NotBefore.ToUniversalTime()));
            writer.WriteString("notAfter", current.NotAfter);
            writer.WriteString("renewAt", current.RenewAt);
            writer.WriteNumber("trustBundleRoots", current.TrustBundle.Count);
        }
        else
        {
            writer.WriteNull("spiffeId");
        }

        writer.WriteEndObject();
    }

    private static void WriteNoMtls(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("connections");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void WritePolicies(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("destinations");
        foreach (var destination in destinations.Snapshot().OrderBy(d => d.Host, StringComparer.Ordinal).ThenBy(d => d.Port))
        {
            writer.WriteStartObject();
            writer.WriteString("host", destination.Host);
            writer.WriteNumber("port", destination.Port);
            writer.WriteNumber("version", destination.Version);
            writer.WriteBoolean("connected", destination.Connected);
            if (destination.RejectedVersion != 0)
            {
                writer.WriteNumber("rejectedVersion", destination.RejectedVersion);
                writer.WriteString("rejectedError", destination.RejectedError);
            }

            if (destination.Policy is { } policy)
            {
                writer.WriteString("service", policy.ServiceName.Length == 0 && policy.DefaultBackend is { } pod
                    ? pod.Display() // a pod IP (gamma-spec A7): no Service addressed
                    : $"{policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port}");
                writer.WriteNumber("rules", policy.Rules.Count);
                writer.WritePropertyName("policy");
                JsonSerializer.Serialize(writer, policy, AdminJsonContext.Default.DestinationPolicy);
            }
            else
            {
                writer.WriteNull("policy");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
