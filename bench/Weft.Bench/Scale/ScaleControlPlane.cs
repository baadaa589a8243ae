using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane;

namespace Weft.Bench.Scale;

/// <summary>
/// The control-plane process of the scale benchmark (<c>Weft.Bench control-plane-scale-server</c>, started by
/// <see cref="ScaleBenchmark"/>): a real <see cref="ControlPlaneHost"/> (Kestrel, TLS from its mesh CA, token
/// authentication, the translator loop, the discovery service) on 127.0.0.1 with a port from the OS, and no manifests
/// directory. The synthetic cluster enters its store as one source holding every object, and every change replaces that
/// source's whole list with one object swapped, as <c>KubeSource</c> does on each watch event. It is a process of its
/// own so that its VmRSS is the control plane's alone.
/// </summary>
/// <remarks>
/// Protocol, one line each way: it prints <c>ready ADDRESS TRUST_BUNDLE TOKENS_FILE STORE_MS BUILD_MS</c>, then reads
/// <c>route N S REVISION</c> (route of Service S in namespace N, first path at that revision), <c>slice N S MOVE</c>
/// (Service S's first endpoint moved to <see cref="ScaleCluster.MovedAddress"/>), <c>service N S EDIT</c> (Service S's
/// admin port's targetPort set to 9091 + EDIT: the Service changes, no policy of its http port does), <c>paused</c>
/// (answered <c>paused MS</c>, its GC pauses so far, <see cref="GC.GetTotalPauseDuration"/>), <c>gc</c> (GC heap figures,
/// then a full collection and the heap after it) or
/// <c>quit</c>, and answers each with one line: for a change, <c>ok STORE_VERSION REPLACE_MS PUBLISHED_MS GEN0 GEN2</c>
/// (the store's replace, then until the translator published the model, from the command's arrival; the garbage collections
/// meanwhile). With <c>SCALE_TRACE=1</c> in its environment it writes to standard error, for each model, how many
/// discovery watches it evaluated, how many had a new answer, and how long the pass took.
/// </remarks>
internal static class ScaleControlPlane
{
    private const string Source = "kubernetes";

    public static async Task<int> RunAsync(string[] args)
    {
        var cluster = new ScaleCluster(IntArg(args, "--namespaces"), IntArg(args, "--proxies"));
        var state = args[Array.IndexOf(args, "--state-dir") + 1];
        var objects = cluster.Objects();
        using var trace = Environment.GetEnvironmentVariable("SCALE_TRACE") == "1" ? WatchTrace() : null;
        await using var host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { StateDirectory = state, ListenAddress = "127.0.0.1", Port = 0, LoggerFactory = trace },
            CancellationToken.None).ConfigureAwait(false);

        // SCALE_ALLOC=1: what the changes allocate, by type, listed at the end; SCALE_ALLOC=first: what the first model
        // allocates, listed once it is published.
        var allocationsOf = Environment.GetEnvironmentVariable("SCALE_ALLOC");
        using var allocations = allocationsOf is "1" or "first" ? new AllocationTicks() : null;

        // The first full model: the informers' first listing replaces the source, and the translator builds from it.
        var (gcs, paused) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        var t0 = Stopwatch.GetTimestamp();
        var version = host.Store.Replace(Source, objects);
        var stored = Stopwatch.GetElapsedTime(t0);
        await host.WaitForVersionAsync(version, CancellationToken.None).ConfigureAwait(false);
        var built = Stopwatch.GetElapsedTime(t0);
        Console.Error.WriteLine($"GC: large-object threshold {GC.GetConfigurationVariables().GetValueOrDefault("LOHThreshold")} bytes, gen0 budget at most {GC.GetConfigurationVariables().GetValueOrDefault("GCGen0MaxBudget")}");
        Console.Error.WriteLine($"first model: {GC.CollectionCount(0) - gcs} collections (gen1 and gen2 included), paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms");
        if (allocationsOf == "first")
        {
            foreach (var (type, bytes) in allocations!.Top(40))
            {
                Console.Error.WriteLine($"first-model alloc {bytes / 1048576.0,10:F1} MB {type}");
            }
        }

        var tokens = Path.Combine(state, "tokens.txt");
        await using (var writer = new StreamWriter(tokens))
        {
            for (var p = 0; p < cluster.Proxies; p++)
            {
                var pod = cluster.Pod(p);
                await writer.WriteLineAsync($"{pod.Namespace} {pod.Name} {host.IssueWorkloadToken(pod.Namespace!, pod.Name, pod.Metadata.Uid!, pod.ServiceAccount)}").ConfigureAwait(false);
            }
        }

        if (Environment.GetEnvironmentVariable("SCALE_GC") == "1")
        {
            _ = Task.Run(async () =>
            {
                long last = 0;
                while (true)
                {
                    await Task.Delay(5).ConfigureAwait(false);
                    foreach (var kind in new[] { GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background })
                    {
                        var i = GC.GetGCMemoryInfo(kind);
                        if (i.Index > last)
                        {
                            last = Math.Max(last, i.Index);
                            Console.Error.WriteLine($"GC {i.Index} gen{i.Generation} {kind} pause {i.PauseDurations[0].TotalMilliseconds:F1} ms promoted {i.PromotedBytes / 1048576} MB heap {i.HeapSizeBytes / 1048576} MB compacted {i.Compacted}");
                        }
                    }
                }
            });
        }

        Reply($"ready {host.Address} {host.TrustBundlePath} {tokens} {Ms(stored)} {Ms(built)}");
        var changing = false;
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var words = line.Split(' ');
            switch (words[0])
            {
                case "route" or "slice" or "service":
                    if (!changing)
                    {
                        // What the changes allocate, not the start.
                        changing = true;
                        allocations?.Clear();
                    }

                    var (n, s, k) = (Int(words[1]), Int(words[2]), Int(words[3]));
                    var start = Stopwatch.GetTimestamp();
                    if (words[0] == "route")
                    {
                        objects[cluster.IndexOfRoute(n, s)] = cluster.Route(n, s, k);
                    }
                    else if (words[0] == "service")
                    {
                        objects[cluster.IndexOfService(n, s)] = ScaleCluster.Service(n, s, adminTarget: 9091 + k);
                    }
                    else
                    {
                        objects[cluster.IndexOfSlice(n, s)] = ScaleCluster.Slice(n, s, ScaleCluster.MovedAddress(k));
                    }

                    var (gen0, gen2) = (GC.CollectionCount(0), GC.CollectionCount(2));
                    var changed = host.Store.Replace(Source, objects);
                    var replaced = Stopwatch.GetElapsedTime(start);
                    await host.WaitForVersionAsync(changed, CancellationToken.None).ConfigureAwait(false);
                    Reply($"ok {changed} {Ms(replaced)} {Ms(Stopwatch.GetElapsedTime(start))} {GC.CollectionCount(0) - gen0} {GC.CollectionCount(2) - gen2}");
                    break;
                case "paused":
                    Reply($"paused {GC.GetTotalPauseDuration().TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture)}");
                    break;
                case "gc":
                    foreach (var (type, bytes) in allocations?.Top(40) ?? [])
                    {
                        Console.Error.WriteLine($"alloc {bytes / 1048576.0,10:F1} MB {type}");
                    }

                    // The heap as it is, then what is live: a full, compacting collection says whether the peak was garbage.
                    var info = GC.GetGCMemoryInfo();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    Reply($"gc {GC.GetTotalMemory(forceFullCollection: false)} {info.HeapSizeBytes} {info.TotalCommittedBytes} {GC.GetGCMemoryInfo().HeapSizeBytes}");
                    break;
                default:
                    return 0;
            }
        }

        return 0;
    }

    /// <summary>The discovery watches' debug lines, to standard error (standard output is the protocol).</summary>
    private static ILoggerFactory WatchTrace() => LoggerFactory.Create(b => b
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddFilter((category, level) => category?.Contains("ModelWatches", StringComparison.Ordinal) == true && level >= LogLevel.Debug));

    private static void Reply(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static int IntArg(string[] args, string name) => Int(args[Array.IndexOf(args, name) + 1]);
}
