using System.Diagnostics;
using Weft.Routing;
using Weft.Routing.Policy;

namespace Weft.Bench;

/// <summary>
/// The translator-at-scale figures with a Stopwatch, a few rounds each: faster to iterate on than the BenchmarkDotNet
/// run of <see cref="TranslatorBenchmarks"/>, and with the split between build, compile and serialise.
/// </summary>
public static class ScaleTimings
{
    public static int Run()
    {
        var sw = Stopwatch.StartNew();
        var objects = SyntheticCluster.Objects();
        var snapshot = MeshSnapshot.From(objects);
        var edited = SyntheticCluster.WithEditedRoute(objects, 1);
        var subscriptions = SyntheticCluster.Subscriptions();
        Console.WriteLine($"cluster: {snapshot.Services.Count} Services, {snapshot.Routes.Count} routes, {snapshot.EndpointSlices.Sum(s => s.Endpoints.Count)} endpoints ({sw.ElapsedMilliseconds} ms to generate)");

        // SCALE_ALLOC=1: what the second build allocates, by type (the runtime's allocation samples).
        using var ticks = Environment.GetEnvironmentVariable("SCALE_ALLOC") is not null ? new Scale.AllocationTicks() : null;
        for (var round = 0; round < 5; round++)
        {
            ticks?.Clear();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var collections = GC.CollectionCount(0);
            var t0 = Stopwatch.GetTimestamp();
            var model = MeshModel.Build(round % 2 == 0 ? snapshot : edited);
            var t1 = Stopwatch.GetTimestamp();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            collections = GC.CollectionCount(0) - collections;
            if (ticks is not null && round == 1)
            {
                foreach (var (type, sampled) in ticks.Top(20))
                {
                    Console.WriteLine($"  {sampled / 1000,9:N0} KB  {type}");
                }
            }
            var bytes = 0L;
            var compile = TimeSpan.Zero;
            foreach (var (ns, host, port) in subscriptions)
            {
                var c0 = Stopwatch.GetTimestamp();
                var policy = model.Compile(ns, host, port) ?? throw new InvalidOperationException($"{host}:{port} did not resolve");
                compile += Stopwatch.GetElapsedTime(c0);
                bytes += PolicyJson.Serialize(policy).Length;
            }

            var t2 = Stopwatch.GetTimestamp();
            Console.WriteLine(
                $"round {round}: build {Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds:F0} ms ({allocated / 1_000_000} MB allocated, {collections} collections), " +
                $"1000 subscriptions {Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds:F0} ms (compile {compile.TotalMilliseconds:F0} ms, {bytes / 1000} B JSON each), " +
                $"change total {Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds:F0} ms");
        }

        // What the translator and the discovery streams do now: Update the served model, serialise only new policies.
        var served = MeshModel.Build(snapshot);
        foreach (var (ns, host, port) in subscriptions)
        {
            served.Compile(ns, host, port);
        }

        for (var round = 1; round <= 5; round++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var next = served.Update(round % 2 == 1 ? edited : snapshot);
            var t1 = Stopwatch.GetTimestamp();
            var changed = 0;
            foreach (var (ns, host, port) in subscriptions)
            {
                var before = served.Compile(ns, host, port);
                var policy = next.Compile(ns, host, port);
                if (!ReferenceEquals(before, policy))
                {
                    changed++;
                    PolicyJson.Serialize(policy!);
                }
            }

            var t2 = Stopwatch.GetTimestamp();
            served = next;
            Console.WriteLine(
                $"update {round}: Update {Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds:F1} ms, " +
                $"1000 subscriptions {Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds:F1} ms ({changed} changed), " +
                $"change total {Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds:F1} ms");
        }

        return 0;
    }
}
