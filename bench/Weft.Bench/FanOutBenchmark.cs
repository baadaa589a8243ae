using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Weft.ControlPlane;
using Weft.Discovery.V1;

namespace Weft.Bench;

/// <summary>
/// Discovery fan-out (issue 6): a real <see cref="ControlPlaneHost"/> on 127.0.0.1:0 holding the
/// <see cref="SyntheticCluster"/> (fed as a store source, as a Kubernetes watch would) and a manifests directory with
/// one HTTPRoute; 1,000 WatchDestination streams over 10 HTTP/2 channels, all for ns000/svc001:80 from clients in 100
/// namespaces (no consumer routes there, so the producer routes apply to all). Each change rewrites the route's file
/// (or, in the second half, replaces it in a store source, which leaves out the file watcher) and times how long until
/// every subscriber has a policy with the new path.
/// </summary>
public static class FanOutBenchmark
{
    private const string Host = "svc001.ns000";

    public static async Task<int> RunAsync(string[] args)
    {
        var subscribers = IntArg(args, "--subscribers", 1000);
        var channels = IntArg(args, "--channels", 10);
        var changes = IntArg(args, "--changes", 10);
        var manifests = Directory.CreateTempSubdirectory("weft-fanout-");
        try
        {
            var routeFile = Path.Combine(manifests.FullName, "hot-route.yaml");
            await File.WriteAllTextAsync(routeFile, RouteYaml("hot-route", 0)).ConfigureAwait(false);
            await using var host = await ControlPlaneHost.StartAsync(new ControlPlaneOptions { ManifestDirectory = manifests.FullName }, CancellationToken.None).ConfigureAwait(false);

            var sw = Stopwatch.StartNew();
            var version = host.Store.Replace("cluster", SyntheticCluster.Objects());
            await host.WaitForVersionAsync(version, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"control plane at {host.Address}; cluster loaded and first model built in {sw.ElapsedMilliseconds} ms");

            var watch = new Watchers(subscribers);
            watch.Expect("/hot-route/v0/");
            using var stop = new CancellationTokenSource();
            var handlers = new List<GrpcChannel>();
            var streams = new List<Task>();
            for (var c = 0; c < channels; c++)
            {
                var channel = GrpcChannel.ForAddress(host.Address, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
                });
                handlers.Add(channel);
            }

            sw.Restart();
            for (var s = 0; s < subscribers; s++)
            {
                var client = new Discovery.V1.Discovery.DiscoveryClient(handlers[s % channels]);
                streams.Add(watch.RunAsync(client, s, stop.Token));
            }

            await watch.AllSeen.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            Console.WriteLine($"{subscribers} subscribers over {channels} channels have their first policy after {sw.ElapsedMilliseconds} ms");

            var fileRuns = new List<double>();
            var storeRuns = new List<double>();
            var perSubscriber = new List<double>();
            for (var i = 1; i <= 2 * changes; i++)
            {
                var viaFile = i <= changes;
                var marker = viaFile ? $"/hot-route/v{i}/" : $"/store-route/v{i}/";
                watch.Expect(marker);
                var t0 = Stopwatch.GetTimestamp();
                if (viaFile)
                {
                    await File.WriteAllTextAsync(routeFile, RouteYaml("hot-route", i)).ConfigureAwait(false);
                }
                else
                {
                    host.Store.Replace("edits", [SyntheticCluster.HotRoute("store-route", i)]);
                    Console.Write($"(store replace {Stopwatch.GetElapsedTime(t0).TotalMilliseconds:F1} ms) ");
                }

                await watch.AllSeen.WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
                var all = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                (viaFile ? fileRuns : storeRuns).Add(all);
                perSubscriber.AddRange(watch.Latencies(t0));
                Console.WriteLine($"change {i} ({(viaFile ? "file" : "store")}): all {subscribers} subscribers updated after {all:F1} ms");
                await Task.Delay(200).ConfigureAwait(false); // let the translator's debounce window close between changes
            }

            Console.WriteLine();
            Console.WriteLine($"| trigger | changes | all {subscribers} updated p50 | p99 | max |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine(Row("file edit (watcher + reload + translate + push)", fileRuns));
            Console.WriteLine(Row("store replace (translate + push)", storeRuns));
            Console.WriteLine(Row("per subscriber, both triggers", perSubscriber));

            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(streams).ConfigureAwait(false);
            foreach (var channel in handlers)
            {
                channel.Dispose();
            }
        }
        finally
        {
            manifests.Delete(recursive: true);
        }

        return 0;
    }

    private static string Row(string what, List<double> ms) =>
        $"| {what} | {ms.Count} | {Percentile(ms, 0.50):F1} ms | {Percentile(ms, 0.99):F1} ms | {ms.Max():F1} ms |";

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>A producer route of ns000/svc001:80 whose first path carries the revision.</summary>
    private static string RouteYaml(string name, int revision) => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: {name}
          namespace: ns000
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: svc001
            port: 80
          rules:
          - matches:
            - path:
                type: PathPrefix
                value: /{name}/v{revision}/
            backendRefs:
            - name: svc002
              port: 80
        """;

    /// <summary>The subscribers' shared state: when each one first saw the expected marker in its policy.</summary>
    private sealed class Watchers(int count)
    {
        private readonly long[] _seenAt = new long[count];
        private byte[] _marker = [];
        private int _seen;
        private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task AllSeen => Volatile.Read(ref _all).Task;

        public void Expect(string marker)
        {
            Array.Clear(_seenAt);
            Volatile.Write(ref _seen, 0);
            Volatile.Write(ref _all, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref _marker, Encoding.UTF8.GetBytes(marker));
        }

        public IEnumerable<double> Latencies(long t0) => _seenAt.Select(t => Stopwatch.GetElapsedTime(t0, t).TotalMilliseconds);

        public async Task RunAsync(Discovery.V1.Discovery.DiscoveryClient client, int id, CancellationToken ct)
        {
            var request = new DestinationRequest
            {
                ClientNamespace = SyntheticCluster.Ns(id % SyntheticCluster.Namespaces),
                ClientPod = $"client-{id}",
                Host = Host,
                Port = SyntheticCluster.HttpPort,
            };
            try
            {
                using var call = client.WatchDestination(request, cancellationToken: ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    var now = Stopwatch.GetTimestamp();
                    var marker = Volatile.Read(ref _marker);
                    if (marker.Length > 0 && update.PolicyJson.Span.IndexOf(marker) >= 0 && Interlocked.CompareExchange(ref _seenAt[id], now, 0) == 0
                        && Interlocked.Increment(ref _seen) == _seenAt.Length)
                    {
                        Volatile.Read(ref _all).TrySetResult();
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
            {
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
