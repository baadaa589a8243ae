using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Weft.Bench.Scale;

/// <summary>
/// The control plane at scale, measured (issue 18): <c>Weft.Bench control-plane-scale --size 10k|50k</c>. Starts the control plane as a
/// process of its own (<see cref="ScaleControlPlane"/>) holding a <see cref="ScaleCluster"/> of that size, connects the
/// cluster's proxies to it from a process of their own (<see cref="SubscriberProcesses"/>), then makes one change at a time and times
/// it from the moment the change is handed to the control plane until every stream whose policy it alters has received
/// the new policy. Five kinds of change, in turn: an edit of the route of a Service every proxy talks to ("hot"), an edit
/// of the route of a Service a few talk to, an endpoint moved in each of those, and an edit of a Service that no policy
/// the proxies get shows (timed until the model is published, the control plane's CPU over the settle after it: what a
/// Service's edit costs the control plane when it sends nothing). The control plane's VmRSS is read from /proc while it runs.
/// </summary>
internal static class ScaleBenchmark
{
    internal const int HotNs = 0;
    internal const int HotSvc = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        var size = StringArg(args, "--size", "10k");
        var cluster = ScaleCluster.OfSize(size);
        var destinations = IntArg(args, "--destinations", 3);
        var changesPerKind = IntArg(args, "--changes", 25);

        // Changes of each kind made first and not counted: the first changes after start run through code the JIT has not
        // optimised yet, in both processes (a control plane that has run for a while has); their times are reported apart.
        var warmup = IntArg(args, "--warmup", 2);
        var settleMs = IntArg(args, "--settle", 300);
        var report = StringArg(args, "--report", "");

        // --kinds 0,2: only those kinds of change (0 route edit hot, 1 route edit one, 2 endpoint move hot, 3 endpoint move
        // one, 4 Service edit one), for profiling one.
        var only = StringArg(args, "--kinds", "0,1,2,3,4").Split(',').Select(k => int.Parse(k, CultureInfo.InvariantCulture)).ToHashSet();
        var label = StringArg(args, "--label", "");
        var state = Directory.CreateTempSubdirectory("weft-scale-");
        using var controlPlane = StartControlPlane(cluster, state.FullName);
        var sampler = new RssSampler(controlPlane.Id);
        var results = new StringBuilder();
        try
        {
            var ready = (await controlPlane.StandardOutput.ReadLineAsync().ConfigureAwait(false))?.Split(' ');
            if (ready is not ["ready", _, _, _, _, _])
            {
                throw new InvalidOperationException($"the control plane did not start: {string.Join(' ', ready ?? [])}");
            }

            var (address, bundle, tokens) = (new Uri(ready[1]), ready[2], ready[3]);
            var (storeMs, buildMs) = (Double(ready[4]), Double(ready[5]));
            var loadedRss = sampler.Phase("cluster loaded, model built");
            Console.WriteLine($"{size}: {cluster.Services} Services, {cluster.Services} routes, {cluster.Endpoints} endpoints, {cluster.Proxies} proxies; first model {buildMs:F0} ms (store {storeMs:F0} ms); RSS {loadedRss / 1024} MB");

            // The proxies connect, 100 at a time, each with its inbound stream and its destinations.
            var podTokens = File.ReadAllLines(tokens).Select(l => l.Split(' ')).ToArray();
            // The proxies in a process of their own (--subscriber-processes K: in K), apart from this one's bookkeeping, so that
            // their CPU and collections are theirs alone (SubscriberProcesses).
            string[] flags = [.. args.Where(a => a is "--unary-reports" or "--no-reports"), .. args.Contains("--report-delay") ? new[] { "--report-delay", StringArg(args, "--report-delay", "0") } : []];
            await using var subscribers = new SubscriberProcesses(
                IntArg(args, "--subscriber-processes", 1), cluster.Proxies, 1 + destinations, address, bundle, flags);
            var watched = new List<(int N, int S)>();
            var t0 = Stopwatch.GetTimestamp();
            for (var p = 0; p < cluster.Proxies; p++)
            {
                var dests = Destinations(cluster, p, destinations);
                watched.AddRange(dests.Skip(1).Select(d => d.Service));
                await subscribers.AddAsync(p, podTokens[p][0], podTokens[p][1], podTokens[p][2], [.. dests.Select(d => (d.Host, d.Port))]).ConfigureAwait(false);
                if (p % 100 == 99 || p == cluster.Proxies - 1)
                {
                    var added = (p + 1) * (1 + destinations);
                    await WaitAsync(async () => await subscribers.WithFirstAsync().ConfigureAwait(false) >= added, TimeSpan.FromMinutes(2), $"first policies of {added} streams").ConfigureAwait(false);
                }
            }

            var subscribeMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            await Task.Delay(1000).ConfigureAwait(false);
            var subscribedRss = sampler.Phase("proxies subscribed");
            Console.WriteLine($"{cluster.Proxies} proxies in {subscribers.Count} process{(subscribers.Count == 1 ? "" : "es")}, {subscribers.Streams} streams have their first policy after {subscribeMs:F0} ms; RSS {subscribedRss / 1024} MB");

            // The changes, one kind after another in turn.
            var random = new Random(18);
            var revisions = new Dictionary<(int, int), int>();
            var addresses = new Dictionary<(int, int), string>();
            var kinds = new[] { "route edit, hot Service (every proxy)", "route edit, one Service", "endpoint move, hot Service (every proxy)", "endpoint move, one Service", "Service edit, one Service (no policy changes)" };
            var publishedOfKind = kinds.ToDictionary(k => k, _ => new List<double>());
            var serviceEdits = new Dictionary<(int, int), int>();
            var serviceRandom = new Random(19);
            var lastMs = kinds.ToDictionary(k => k, _ => new List<double>());
            var affected = kinds.ToDictionary(k => k, _ => new List<int>());
            var cpuOfKind = kinds.ToDictionary(k => k, _ => (ControlPlane: new List<double>(), Subscribers: new List<double>()));
            var storeReplaceMs = new List<double>();

            // How long the GC paused the control plane and (the longest of one) the subscribers' processes during each change
            // that some stream heard of, and that change's time: the tail's share that is the collections'.
            var paused = new List<(double PauseMs, double OwnPauseMs, double LastMs)>();
            var publishedMs = new List<double>();
            var timeouts = 0;
            var producerWatched = watched.Where(w => ScaleCluster.ProducerOnly(w.S) && w != (HotNs, HotSvc)).Distinct().ToArray();
            var anyWatched = watched.Where(w => w != (HotNs, HotSvc)).Distinct().ToArray();
            var moves = 0;
            var warmupMs = new List<double>();
            for (var i = -kinds.Length * warmup; i < kinds.Length * changesPerKind; i++)
            {
                var k = ((i % kinds.Length) + kinds.Length) % kinds.Length;
                if (!only.Contains(k))
                {
                    continue;
                }

                var kind = kinds[k];
                var (n, s) = k switch
                {
                    0 or 2 => (HotNs, HotSvc),
                    1 => producerWatched[random.Next(producerWatched.Length)],
                    3 => anyWatched[random.Next(anyWatched.Length)],
                    _ => anyWatched[serviceRandom.Next(anyWatched.Length)],
                };
                string command;
                SubscriberProcesses.Change change;
                if (k < 2)
                {
                    var route = cluster.RouteOf(n, s);
                    var revision = revisions.GetValueOrDefault(route);
                    revisions[route] = revision + 1;
                    change = await subscribers.ExpectAsync($"\"{ScaleCluster.RoutePath(route.N, route.S, revision)}\"", $"\"{ScaleCluster.RoutePath(route.N, route.S, revision + 1)}\"").ConfigureAwait(false);
                    command = $"route {route.N} {route.S} {revision + 1}";
                }
                else if (k == 4)
                {
                    // Nothing a proxy gets changes: no stream is expected to hear of it.
                    var edit = serviceEdits.GetValueOrDefault((n, s)) + 1;
                    serviceEdits[(n, s)] = edit;
                    change = await subscribers.ExpectAsync("\u0000 no policy shows this", "\u0000").ConfigureAwait(false);
                    command = $"service {n} {s} {edit}";
                }
                else
                {
                    var moved = ScaleCluster.MovedAddress(++moves);
                    change = await subscribers.ExpectAsync($"\"{addresses.GetValueOrDefault((n, s)) ?? ScaleCluster.EndpointAddress(n, s, 0)}\"", $"\"{moved}\"").ConfigureAwait(false);
                    addresses[(n, s)] = moved;
                    command = $"slice {n} {s} {moves}";
                }

                var pauseBefore = await PausedMsAsync(controlPlane).ConfigureAwait(false);
                var (cpuBefore, ownBefore) = (ProcessCpu.Ms(controlPlane.Id), subscribers.CpuMs());
                var start = Stopwatch.GetTimestamp();
                await controlPlane.StandardInput.WriteLineAsync(command).ConfigureAwait(false);
                await controlPlane.StandardInput.FlushAsync().ConfigureAwait(false);
                var ok = (await controlPlane.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("the control plane exited")).Split(' ');
                if (i >= 0)
                {
                    storeReplaceMs.Add(Double(ok[2]));
                    publishedMs.Add(Double(ok[3]));
                    publishedOfKind[kind].Add(Double(ok[3]));
                }

                try
                {
                    await change.All.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    timeouts++;
                    change.Disarm();
                    Console.WriteLine($"change {i} ({kind}): {change.Expected} expected, not all had it after 30 s");
                    await Task.Delay(settleMs).ConfigureAwait(false);
                    continue;
                }

                // The control plane's pauses until it is asked, right after the last stream had the change; the
                // subscribers' until their last stream had it.
                var pauseMs = await PausedMsAsync(controlPlane).ConfigureAwait(false) - pauseBefore;
                var last = change.Expected == 0 ? double.NaN : change.LastMs(start);
                var (cpuAfter, ownAfter) = (ProcessCpu.Ms(controlPlane.Id), subscribers.CpuMs());
                var ownPauseMs = change.LongestPauseMs();
                if (change.Expected == 0)
                {
                    // Nothing to wait for: the CPU of the model and of the watches' evaluation is taken over the settle.
                    await Task.Delay(settleMs).ConfigureAwait(false);
                    (cpuAfter, ownAfter) = (ProcessCpu.Ms(controlPlane.Id), subscribers.CpuMs());
                }

                var (cpuMs, ownMs) = (cpuAfter - cpuBefore, ownAfter - ownBefore);
                if (i < 0)
                {
                    warmupMs.Add(last);
                }
                else
                {
                    if (change.Expected > 0)
                    {
                        lastMs[kind].Add(last);
                        paused.Add((pauseMs, ownPauseMs, last));
                    }

                    cpuOfKind[kind].ControlPlane.Add(cpuMs);
                    cpuOfKind[kind].Subscribers.Add(ownMs);
                    affected[kind].Add(change.Expected);
                }

                if (change.Expected > 0)
                {
                    await Task.Delay(settleMs).ConfigureAwait(false);
                }

                var received = await subscribers.UpdatesAsync(change).ConfigureAwait(false);
                Console.WriteLine($"{(i < 0 ? "warm-up " : "")}change {i} ({kind}, {command}): {change.Expected} streams affected, all had it after {last:F1} ms, CPU control plane {cpuMs:F0} ms, subscribers {ownMs:F0} ms (first {change.EachMs(start).DefaultIfEmpty().Min():F1}, half {Percentile([.. change.EachMs(start)], 0.5):F1}; store replace {ok[2]} ms, model published {ok[3]} ms, GCs gen0 {ok[4]} gen2 {ok[5]}, GC paused it {pauseMs:F1} ms and a subscribers' process at most {ownPauseMs:F1} ms meanwhile; {received} updates received)");
            }

            var changedRss = sampler.Phase("during the changes (peak)");
            await controlPlane.StandardInput.WriteLineAsync("gc").ConfigureAwait(false);
            await controlPlane.StandardInput.FlushAsync().ConfigureAwait(false);
            var gc = (await controlPlane.StandardOutput.ReadLineAsync().ConfigureAwait(false))!.Split(' ');
            var hwm = RssSampler.Read(controlPlane.Id, "VmHWM:");
            var collectedRss = RssSampler.Read(controlPlane.Id, "VmRSS:");

            var all = lastMs.Values.SelectMany(v => v).ToList();
            results.AppendLine(CultureInfo.InvariantCulture, $"### {size}{(label.Length > 0 ? $" ({label})" : "")}: {cluster.Services:N0} Services, {cluster.Services:N0} routes, {cluster.Endpoints:N0} endpoints, {cluster.Proxies:N0} proxies");
            results.AppendLine();
            results.AppendLine(CultureInfo.InvariantCulture, $"- first model (store replace of every object → translator published): {buildMs:F0} ms, of which the store's replace {storeMs:F0} ms");
            results.AppendLine(CultureInfo.InvariantCulture, $"- {cluster.Proxies:N0} proxies connected (TLS, token), {subscribers.Streams:N0} streams (1 inbound + {destinations} destinations each) with their first policy: {subscribeMs:F0} ms");
            results.AppendLine(CultureInfo.InvariantCulture, $"- one change → every affected stream has it: p50 {Percentile(all, 0.5):F1} ms, p99 {Percentile(all, 0.99):F1} ms, max {all.DefaultIfEmpty().Max():F1} ms over {all.Count} changes ({timeouts} timed out), after {warmupMs.Count} warm-up changes not counted (their times: {string.Join(", ", warmupMs.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))} ms); of which the store's replace p50 {Percentile(storeReplaceMs, 0.5):F1} ms, and until the new model was published p50 {Percentile(publishedMs, 0.5):F1} ms, p99 {Percentile(publishedMs, 0.99):F1} ms");
            var hit = paused.Where(p => p.PauseMs > 0).ToList();
            var ownHit = paused.Where(p => p.OwnPauseMs > 0).ToList();
            List<double> unpaused = [.. paused.Where(p => p.PauseMs == 0 && p.OwnPauseMs == 0).Select(p => p.LastMs)];
            results.AppendLine(CultureInfo.InvariantCulture, $"- the GC paused the control plane during {hit.Count} of those {paused.Count} changes (ms paused of the change's: {string.Join(", ", hit.Select(p => $"{p.PauseMs:F0} of {p.LastMs:F0}"))}) and a subscribers' process during {ownHit.Count} (the longest pause of one: {string.Join(", ", ownHit.Select(p => $"{p.OwnPauseMs:F0} of {p.LastMs:F0}"))}); the {unpaused.Count} changes neither was paused in: p50 {Percentile(unpaused, 0.5):F1} ms, p99 {Percentile(unpaused, 0.99):F1} ms");
            results.AppendLine(CultureInfo.InvariantCulture, $"- control-plane VmRSS: {loadedRss / 1024:N0} MB loaded, {subscribedRss / 1024:N0} MB with the proxies subscribed, {changedRss / 1024:N0} MB peak during the changes, VmHWM {hwm / 1024:N0} MB; GC heap {long.Parse(gc[2], CultureInfo.InvariantCulture) / (1024 * 1024):N0} MB, committed {long.Parse(gc[3], CultureInfo.InvariantCulture) / (1024 * 1024):N0} MB; after a full collection the heap is {long.Parse(gc[4], CultureInfo.InvariantCulture) / (1024 * 1024):N0} MB and VmRSS {collectedRss / 1024:N0} MB");
            results.AppendLine();
            results.AppendLine("| change | n | streams affected (median) | model published p50 / p99 ms | all had it p50 ms | p99 ms | max ms | CPU until then (with no stream affected: over the settle), control plane / subscribers, p50 ms |");
            results.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var kind in kinds)
            {
                var ms = lastMs[kind];
                var published = publishedOfKind[kind];
                results.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {published.Count} | {Percentile([.. affected[kind].Select(a => (double)a)], 0.5):F0} | {Percentile(published, 0.5):F1} / {Percentile(published, 0.99):F1} | {Percentile(ms, 0.5):F1} | {Percentile(ms, 0.99):F1} | {ms.DefaultIfEmpty().Max():F1} | {Percentile(cpuOfKind[kind].ControlPlane, 0.5):F0} / {Percentile(cpuOfKind[kind].Subscribers, 0.5):F0} |");
            }

            results.AppendLine();
            results.AppendLine(CultureInfo.InvariantCulture, $"Summary line: size={size} compile_ms={buildMs:F0} push_p50_ms={Percentile(all, 0.5):F1} push_p99_ms={Percentile(all, 0.99):F1} rss_mb={Math.Max(changedRss, hwm) / 1024} subscribe_ms={subscribeMs:F0} live_heap_mb={long.Parse(gc[4], CultureInfo.InvariantCulture) / (1024 * 1024)}");
            await controlPlane.StandardInput.WriteLineAsync("quit").ConfigureAwait(false);
            await controlPlane.StandardInput.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            sampler.Dispose();
            if (!controlPlane.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                controlPlane.Kill(entireProcessTree: true);
            }

            state.Delete(recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine(results);
        if (report.Length > 0)
        {
            await File.AppendAllTextAsync(report, results.ToString()).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The control plane's GC pauses so far, in ms (<see cref="GC.GetTotalPauseDuration"/>, which counts every collection).</summary>
    private static async Task<double> PausedMsAsync(Process controlPlane)
    {
        await controlPlane.StandardInput.WriteLineAsync("paused").ConfigureAwait(false);
        await controlPlane.StandardInput.FlushAsync().ConfigureAwait(false);
        var reply = (await controlPlane.StandardOutput.ReadLineAsync().ConfigureAwait(false))?.Split(' ');
        return reply is ["paused", var ms] ? Double(ms) : throw new InvalidOperationException($"the control plane answered '{string.Join(' ', reply ?? [])}' to paused");
    }

    /// <summary>
    /// Proxy p's destinations: the hot Service every proxy talks to (ns000/svc001:80), one Service in its own namespace,
    /// and the rest elsewhere (one in four on the admin port).
    /// </summary>
    internal static List<(string Host, int Port, (int N, int S) Service)> Destinations(ScaleCluster cluster, int p, int count)
    {
        var (n, _, _) = cluster.ProxyPod(p);
        var result = new List<(string, int, (int, int))> { (Host(HotNs, HotSvc), ScaleCluster.HttpPort, (HotNs, HotSvc)) };
        for (var d = 1; d < count; d++)
        {
            var (dn, ds) = d == 1 ? (n, ((p * 7) + 3) % ScaleCluster.ServicesPerNamespace) : (((p * 7 * d) + d) % cluster.Namespaces, ((p * 13 * d) + 2) % ScaleCluster.ServicesPerNamespace);
            if ((dn, ds) == (HotNs, HotSvc))
            {
                ds = 2;
            }

            result.Add((Host(dn, ds), d > 1 && p % 4 == 3 ? ScaleCluster.AdminPort : ScaleCluster.HttpPort, (dn, ds)));
        }

        return result;
    }

    private static string Host(int n, int s) => $"{ScaleCluster.Svc(s)}.{ScaleCluster.Ns(n)}";

    /// <summary>
    /// This benchmark again, as a process that takes lines on its standard input and answers on its standard output
    /// (standard error is inherited): <paramref name="arguments"/> start with the mode (Program.cs).
    /// </summary>
    internal static ProcessStartInfo Self(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ScaleBenchmark).Assembly.Location);
        }

        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static Process StartControlPlane(ScaleCluster cluster, string state)
    {
        var start = Self(["control-plane-scale-server", "--namespaces", $"{cluster.Namespaces}", "--proxies", $"{cluster.Proxies}", "--state-dir", state]);

        // SCALE_CP_DOTNET_X=v: DOTNET_X=v for the control plane alone (a GC setting tried on it, not on the subscribers).
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string key && key.StartsWith("SCALE_CP_DOTNET_", StringComparison.Ordinal))
            {
                start.Environment[key["SCALE_CP_".Length..]] = e.Value as string;
            }
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the control plane");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var until = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        while (!await condition().ConfigureAwait(false))
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                throw new TimeoutException($"waited {deadline} for {what}");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    internal static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static double Double(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string StringArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>The control plane's VmRSS every 100 ms, the peak per phase.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly int _pid;
        private readonly Timer _timer;
        private long _peak;

        public RssSampler(int pid)
        {
            _pid = pid;
            _timer = new Timer(_ => Sample(), null, 0, 100);
        }

        /// <summary>Ends a phase: the peak since the last call, and the current value, whichever is larger (in KB).</summary>
        public long Phase(string name)
        {
            Sample();
            return Interlocked.Exchange(ref _peak, 0);
        }

        public static long Read(int pid, string field)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith(field, StringComparison.Ordinal))
                    {
                        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
            }

            return 0;
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            var rss = Read(_pid, "VmRSS:");
            long peak;
            do
            {
                peak = Volatile.Read(ref _peak);
            }
            while (rss > peak && Interlocked.CompareExchange(ref _peak, rss, peak) != peak);
        }
    }
}
