using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Weft.Bench.Scale;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Http2;
using Weft.Proxy.Security;

namespace Weft.Bench;

/// <summary>
/// The sidecar's two HTTP/2 clients side by side, nothing else in the process: <c>h2-client --handler weft|sockets</c>
/// sends HTTP/2 (h2c, prior knowledge) requests to a Kestrel server in a process of its own (<c>h2-client-server</c>),
/// closed loop at <c>--concurrency</c> or at a fixed <c>--rate</c>, and prints the client process's CPU per request
/// (<c>/proc/self/stat</c>), what it allocated per request, its collections and the latency. The handler is built as
/// <c>ForwardingClient</c> builds the sidecar's h2c pool (to the app).
/// </summary>
internal static class H2ClientBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var handlerName = Arg(args, "--handler", "weft");
        var seconds = int.Parse(Arg(args, "--seconds", "10"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg(args, "--concurrency", "50"), CultureInfo.InvariantCulture);
        var rate = int.Parse(Arg(args, "--rate", "0"), CultureInfo.InvariantCulture);
        var bodySize = int.Parse(Arg(args, "--body", "0"), CultureInfo.InvariantCulture);
        var responseSize = int.Parse(Arg(args, "--response", "100"), CultureInfo.InvariantCulture);

        using var server = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [typeof(H2ClientBench).Assembly.Location, "h2-client-server", responseSize.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            var port = int.Parse((await server.StandardOutput.ReadLineAsync().ConfigureAwait(false))!, CultureInfo.InvariantCulture);
            using var invoker = new HttpMessageInvoker(Handler(handlerName));
            var uri = new Uri($"http://127.0.0.1:{port}/");
            var body = new byte[bodySize];

            // Warm-up (JIT, connections), then the measured run.
            await LoadAsync(invoker, uri, body, concurrency, rate, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            var gc0 = GC.CollectionCount(0);
            var allocated = GC.GetTotalAllocatedBytes(precise: false);
            var cpu = ProcessCpu.Ms(Environment.ProcessId);
            var serverCpu = ProcessCpu.Ms(server.Id);
            var result = await LoadAsync(invoker, uri, body, concurrency, rate, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
            cpu = ProcessCpu.Ms(Environment.ProcessId) - cpu;
            serverCpu = ProcessCpu.Ms(server.Id) - serverCpu;
            allocated = GC.GetTotalAllocatedBytes(precise: false) - allocated;
            var n = result.Latencies.Count;
            result.Latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"handler={handlerName} concurrency={concurrency} rate={rate} body={bodySize} requests={n} errors={result.Errors} req_s={n / (double)seconds:F0} " +
                $"client_cpu_us_req={cpu * 1000 / n:F1} server_cpu_us_req={serverCpu * 1000 / n:F1} alloc_b_req={allocated / n} gen0={GC.CollectionCount(0) - gc0} " +
                $"p50_ms={result.Latencies[n / 2]:F2} p99_ms={result.Latencies[(int)(n * 0.99)]:F2} rss_mb={Environment.WorkingSet / 1048576}"));
            return 0;
        }
        finally
        {
            server.Kill();
        }
    }

    private static HttpMessageHandler Handler(string name)
    {
        // The pool and the connect deadline as ForwardingClient gives them to the sidecar's.
        var sockets = ForwardingClient.NewHandler();
        return name switch
        {
            "sockets" => sockets,
            "weft" => new Http2Handler(sockets, static async (host, port, ct) =>
                await MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false), sockets.ConnectTimeout),
            _ => throw new ArgumentException($"--handler is weft or sockets, not {name}"),
        };
    }

    private sealed record Result(List<double> Latencies, int Errors);

    private static async Task<Result> LoadAsync(HttpMessageInvoker invoker, Uri uri, byte[] body, int concurrency, int rate, TimeSpan duration)
    {
        var latencies = new List<double>();
        var errors = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // At a fixed rate each worker sends on its own schedule, rate / concurrency a second, without waiting for the
        // previous answer (a late answer does not delay the next send).
        var interval = rate > 0 ? Stopwatch.Frequency * concurrency / (double)rate : 0;
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var buffer = new byte[16 * 1024];
            var mine = new List<double>();
            var inflight = new List<Task>();
            var next = Stopwatch.GetTimestamp() + (long)(interval * worker / concurrency);
            while (Stopwatch.GetTimestamp() < end)
            {
                if (rate > 0)
                {
                    var wait = next - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency)).ConfigureAwait(false);
                    }

                    next += (long)interval;
                    inflight.RemoveAll(t => t.IsCompleted);
                    inflight.Add(OneAsync());
                }
                else
                {
                    await OneAsync().ConfigureAwait(false);

                    // The next request from a thread-pool work item, as the sidecar's come (Kestrel dispatches each
                    // request it reads), not from the client's read loop that completed this one.
                    await Task.Yield();
                }
            }

            await Task.WhenAll(inflight).ConfigureAwait(false);
            lock (latencies)
            {
                latencies.AddRange(mine);
            }

            async Task OneAsync()
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(body.Length > 0 ? HttpMethod.Post : HttpMethod.Get, uri)
                    {
                        Version = HttpVersion.Version20,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                        Content = body.Length > 0 ? new ByteArrayContent(body) : null,
                    };
                    using var response = await invoker.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
                    await using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                    while (await stream.ReadAsync(buffer).ConfigureAwait(false) > 0)
                    {
                    }

                    lock (mine)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new Result(latencies, errors);
    }

    /// <summary>The server side: Kestrel h2c on a free loopback port (printed), answering every request with the given number of bytes.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var response = new byte[int.Parse(args[0], CultureInfo.InvariantCulture)];
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                bound = l;
                l.Protocols = HttpProtocols.Http2;
            });
        });
        await using var app = builder.Build();
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null).ConfigureAwait(false);
            await context.Response.Body.WriteAsync(response).ConfigureAwait(false);
        });
        await app.StartAsync().ConfigureAwait(false);
        Console.WriteLine(((IPEndPoint)bound!.EndPoint).Port);
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
