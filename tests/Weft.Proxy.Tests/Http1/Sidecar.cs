using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// One sidecar on 127.0.0.1 with OS-assigned ports and no routes, its HTTP/1.1 fast path set explicitly (so the tests
/// do not depend on <c>WEFT_HTTP1_FAST_PATH</c>): the inbound listener forwards to apps on 127.0.0.1.
/// </summary>
public sealed class Sidecar : IAsyncDisposable
{
    private readonly HttpClient _admin;

    private Sidecar(RunningProxy proxy, CapturedLogs logs)
    {
        Proxy = proxy;
        Logs = logs;
        _admin = new HttpClient { BaseAddress = new Uri($"http://{proxy.AdminEndpoint}") };
    }

    public RunningProxy Proxy { get; }

    public CapturedLogs Logs { get; }

    public IPEndPoint Inbound => Proxy.InboundEndpoint;

    public IPEndPoint Outbound => Proxy.OutboundEndpoint;

    public static Task<Sidecar> StartAsync(bool fastPath = true, TimeSpan? activity = null) =>
        StartAsync(options => options with
        {
            Http1FastPath = fastPath,
            Http1ActivityTimeout = activity ?? Weft.Proxy.Http1.Http1Relay.DefaultActivity,
        });

    /// <summary>The one start-up of every test sidecar here: loopback, OS ports, captured logs, <paramref name="configure"/> last.</summary>
    public static async Task<Sidecar> StartAsync(Func<ProxyOptions, ProxyOptions> configure)
    {
        var logs = new CapturedLogs();
        var proxy = await ProxyHost.StartAsync(configure(new ProxyOptions
        {
            PodNamespace = "default",
            PodName = "app",
            PodIp = IPAddress.Loopback,
            OutboundPort = 0,
            InboundPort = 0,
            AdminPort = 0,
            Destinations = new StaticDestinationSource([]),
            Nameservers = [], // no look-up leaves the machine: names resolve only through Resolve
            ConfigureLogging = logging =>
            {
                logging.ClearProviders();
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddProvider(logs);
            },
        }));
        return new Sidecar(proxy, logs);
    }

    /// <summary>A request head for the app on <paramref name="port"/> through this sidecar's inbound listener.</summary>
    public static string Get(int port, string target = "/", string extra = "") =>
        $"GET {target} HTTP/1.1\r\nHost: app\r\nweft-dst-port: {port.ToString(CultureInfo.InvariantCulture)}\r\n{extra}\r\n";

    public Task<string> MetricsAsync() => _admin.GetStringAsync("/metrics");

    /// <summary>The value of one <paramref name="series"/> (name and labels, as exposed) in <c>/metrics</c>; -1 when absent.</summary>
    public async Task<long> MetricAsync(string series)
    {
        var text = await MetricsAsync();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    public Task<string> ConnectionsAsync() => _admin.GetStringAsync("/connections");

    /// <summary>The inbound counter of <paramref name="statusClass"/> (e.g. "2xx") in <c>/stats</c>.</summary>
    public Task<long> InboundStatAsync(string statusClass) => StatAsync("inbound", statusClass);

    /// <summary>The outbound counter of <paramref name="statusClass"/> (e.g. "2xx", "total") in <c>/stats</c>.</summary>
    public Task<long> OutboundStatAsync(string statusClass) => StatAsync("outbound", statusClass);

    private async Task<long> StatAsync(string listener, string statusClass)
    {
        using var stats = JsonDocument.Parse(await _admin.GetStringAsync("/stats"));
        return stats.RootElement.GetProperty(listener).GetProperty(statusClass).GetInt64();
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

        _admin.Dispose();
        await Proxy.DisposeAsync();
    }
}
