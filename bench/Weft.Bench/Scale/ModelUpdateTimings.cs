using System.Diagnostics;
using System.Globalization;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Bench.Scale;

/// <summary>
/// What one change costs the translator at scale, in one process and without the wire: the scale cluster's model, then
/// changes of each kind (a route edit, an endpoint move, a Service edit, each of one Service), each timed in three parts:
/// the snapshot's lists swapped (<see cref="MeshSnapshot.Replacing"/>), the model's <see cref="MeshModel.Update"/>, and
/// every discovery watch of the benchmark's proxies evaluated on the new model (their compiles, as ModelWatches does).
/// </summary>
internal static class ModelUpdateTimings
{
    public static int Run(string[] args)
    {
        // model-update [10k|50k] [changes of each kind] [--all-pods: a pod behind every endpoint, not only the proxies']
        // [--policies: an AuthorizationPolicy in each namespace]
        // [--pod-ips: 100 more watches, of pods' IPs (gamma-spec A7), as clients of a headless Service make]
        var size = args.Length > 0 ? args[0] : "50k";
        var changes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var cluster = ScaleCluster.OfSize(size);
        var objects = cluster.Objects();
        if (args.Contains("--all-pods"))
        {
            var all = new ScaleCluster(cluster.Namespaces, cluster.Endpoints);
            objects.AddRange(Enumerable.Range(cluster.Proxies, cluster.Endpoints - cluster.Proxies).Select(all.Pod));
        }

        if (args.Contains("--policies"))
        {
            // An AuthorizationPolicy in each namespace, admitting its own namespace's service accounts to its first
            // Service's pods (issue 14): with any, a pod's inbound policy reads Services, endpoints and routes too.
            objects.AddRange(Enumerable.Range(0, cluster.Namespaces).Select(n => new AuthorizationPolicy
            {
                ApiVersion = WeftPolicyApi.ApiVersion,
                Metadata = new ObjectMeta { Namespace = ScaleCluster.Ns(n), Name = "same-namespace" },
                Spec = new AuthorizationPolicySpec
                {
                    Action = AuthorizationAction.Allow,
                    TargetRefs = [new AuthorizationTargetReference { Kind = "Service", Name = ScaleCluster.Svc(0) }],
                    Rules = [new AuthorizationRule { Sources = [new AuthorizationSource { Type = AuthorizationSourceType.ServiceAccount, ServiceAccount = new AuthorizationServiceAccount { Namespace = ScaleCluster.Ns(n), Name = "default" } }] }],
                },
            }));
        }

        var snapshot = MeshSnapshot.From(objects);
        var t = Stopwatch.GetTimestamp();
        var model = MeshModel.Build(snapshot);
        Console.WriteLine($"{size}: first model {Stopwatch.GetElapsedTime(t).TotalMilliseconds:F0} ms");

        var watches = new List<(string Ns, string Host, int Port)>();
        var pods = new List<(string Ns, string Name)>();
        for (var p = 0; p < cluster.Proxies; p++)
        {
            var pod = cluster.Pod(p);
            pods.Add((pod.Namespace!, pod.Name));
            foreach (var (host, port, _) in ScaleBenchmark.Destinations(cluster, p, 3))
            {
                watches.Add((pod.Namespace!, host, port));
            }
        }

        if (args.Contains("--pod-ips"))
        {
            for (var w = 0; w < 100; w++)
            {
                watches.Add((ScaleCluster.Ns(w % cluster.Namespaces), ScaleCluster.EndpointAddress((w * 7) % cluster.Namespaces, (w * 13) % ScaleCluster.ServicesPerNamespace, w % ScaleCluster.EndpointsPerService), 8080));
            }
        }

        Evaluate(model, watches, pods);
        string[] kinds = ["route edit", "endpoint move", "Service edit", "pod created", "pod deleted"];
        var created = new List<Pod>();
        for (var i = 0; i < changes * kinds.Length; i++)
        {
            var k = i % kinds.Length;
            var (n, s) = (((i * 37) + 5) % cluster.Namespaces, ((i * 11) + 3) % ScaleCluster.ServicesPerNamespace);
            Func<MeshSnapshot, MeshSnapshot> swap;
            if (k >= 3)
            {
                // A pod created as the API server first holds it (no address yet), or the one created before deleted.
                Pod pod = k == 3
                    ? new Pod
                    {
                        ApiVersion = "v1",
                        Metadata = new ObjectMeta { Name = $"new-{i}", Namespace = ScaleCluster.Ns(n), Labels = new Dictionary<string, string> { ["app"] = ScaleCluster.Svc(s) } },
                        Spec = new PodSpec { ServiceAccountName = ScaleCluster.Svc(s) },
                    }
                    : created[^1];
                if (k == 3)
                {
                    created.Add(pod);
                }

                swap = k == 3 ? before => before.Changing([], [pod], ByKey) : before => before.Changing([pod], [], ByKey);
            }
            else
            {
                var index = k switch { 0 => cluster.IndexOfRoute(n, s), 1 => cluster.IndexOfSlice(n, s), _ => cluster.IndexOfService(n, s) };
                KubeObject changed = k switch
                {
                    0 => cluster.Route(n, s, i + 1),
                    1 => ScaleCluster.Slice(n, s, ScaleCluster.MovedAddress(i)),
                    _ => ScaleCluster.Service(n, s, adminTarget: 9092 + i),
                };
                var old = objects[index];
                objects[index] = changed;
                swap = before => before.Replacing([(old, changed)]);
            }

            var gen0 = GC.CollectionCount(0);
            var gen2 = GC.CollectionCount(2);
            var t0 = Stopwatch.GetTimestamp();
            snapshot = swap(snapshot);
            var t1 = Stopwatch.GetTimestamp();
            model = model.Update(snapshot);
            var t2 = Stopwatch.GetTimestamp();
            var compiled = Evaluate(model, watches, pods);
            var t3 = Stopwatch.GetTimestamp();
            Console.WriteLine(
                $"{kinds[k],-14} swap {Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds,6:F2} ms  update {Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds,7:F2} ms  " +
                $"watches {Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds,7:F2} ms ({compiled} distinct policies)  gen0 {GC.CollectionCount(0) - gen0} gen2 {GC.CollectionCount(2) - gen2}");
        }

        return 0;
    }

    private static int ByKey(KubeObject a, KubeObject b) => string.CompareOrdinal(a.Key, b.Key);

    /// <summary>Every watch's compile on <paramref name="model"/>, as the control plane's watch loop asks for them; how many distinct policies they got.</summary>
    private static int Evaluate(MeshModel model, List<(string Ns, string Host, int Port)> watches, List<(string Ns, string Name)> pods)
    {
        var distinct = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var (ns, host, port) in watches)
        {
            if (model.Compile(ns, host, port, null) is { } policy)
            {
                distinct.Add(policy);
            }
        }

        foreach (var (ns, name) in pods)
        {
            if (model.CompileInbound(ns, name) is { } policy)
            {
                distinct.Add(policy);
            }
        }

        return distinct.Count;
    }
}
