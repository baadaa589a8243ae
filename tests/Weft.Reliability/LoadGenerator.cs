using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Weft.Reliability;

/// <summary>
/// An open-loop load generator: sends GET requests at a fixed rate through the client pod's sidecar, as the pod's app
/// does in process isolation (an HTTP proxy: absolute-form requests to its outbound port), and counts every answer.
/// It never drops a request to keep up: when more than <see cref="MaxInFlight"/> are outstanding it waits, so the rate it
/// reached is a figure of its own.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    public const int MaxInFlight = 512;

    private readonly HttpClient _http;
    private readonly Uri _target;

    /// <param name="proxy">The client sidecar's outbound listener, e.g. <c>http://127.23.0.5:15001</c>.</param>
    /// <param name="target">What the app asks for, e.g. <c>http://cart.soak/</c>.</param>
    /// <param name="connectionLifetime">How long a pooled connection serves before a new one is opened (new connections keep a listener's accept path in the measurement).</param>
    public LoadGenerator(Uri proxy, Uri target, TimeSpan connectionLifetime)
    {
        _target = target;
        _http = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy(proxy),
            UseProxy = true,
            PooledConnectionLifetime = connectionLifetime,
            MaxConnectionsPerServer = 64,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    /// <summary>Sends <paramref name="rate"/> requests a second for <paramref name="duration"/>, then waits for every answer.</summary>
    public async Task<LoadResult> RunAsync(int rate, TimeSpan duration, CancellationToken ct)
    {
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var backends = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var latencies = new ConcurrentBag<double>();
        using var slots = new SemaphoreSlim(MaxInFlight);
        var running = new List<Task>();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            while (sent < due)
            {
                await slots.WaitAsync(ct);
                sent++;
                running.Add(SendAsync());
            }

            await Task.Delay(5, ct);
        }

        var sending = clock.Elapsed;
        await Task.WhenAll(running);
        var sorted = latencies.Order().ToArray();
        return new LoadResult(sent, outcomes.ToDictionary(), backends.ToDictionary(), sending,
            sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * 0.99) - 1)]);

        async Task SendAsync()
        {
            var started = Stopwatch.GetTimestamp();
            string outcome;
            try
            {
                using var response = await _http.GetAsync(_target, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                if (response.IsSuccessStatusCode && Backend(body) is { } backend)
                {
                    backends.AddOrUpdate(backend, 1, (_, n) => n + 1);
                }
            }
            catch (HttpRequestException e)
            {
                outcome = "error:" + (e.HttpRequestError == HttpRequestError.Unknown ? e.InnerException?.GetType().Name ?? "unknown" : e.HttpRequestError.ToString());
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                outcome = "error:timeout";
            }
            finally
            {
                slots.Release();
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        }
    }

    /// <summary>The echo app's <c>Hostname=</c> line without the pod's suffix: the Deployment that answered.</summary>
    internal static string? Backend(string body)
    {
        foreach (var line in body.Split('\n'))
        {
            if (line.StartsWith("Hostname=", StringComparison.Ordinal))
            {
                var pod = line["Hostname=".Length..].Trim();
                var dash = pod.LastIndexOf('-');
                return dash > 0 ? pod[..dash] : pod;
            }
        }

        return null;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>What a load run got: every outcome (a status code, or <c>error:KIND</c>) with its count.</summary>
internal sealed record LoadResult(long Requests, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyDictionary<string, int> Backends, TimeSpan Sending, double P99Milliseconds)
{
    public long Succeeded => Outcomes.Where(o => o.Key.StartsWith('2')).Sum(o => (long)o.Value);

    public long Failed => Requests - Succeeded;

    public double Rate => Requests / Sending.TotalSeconds;

    public double SuccessRatio => Requests == 0 ? 0 : (double)Succeeded / Requests;

    /// <summary>e.g. <c>200:1190,503:2,error:ConnectionError:8</c>.</summary>
    public string OutcomeList => string.Join(',', Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}:{o.Value}"));
}
