using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;

namespace Weft.Bench.Scale;

/// <summary>
/// Kubernetes mode at scale (<c>Weft.Bench kube-scale</c>, bench/kube-scale.sh): the controller (<see cref="KubeController"/>)
/// reads a cluster through list and watch from the API server stand-in (the real wire protocol, HTTPS), and the
/// benchmark flips pods' readiness as the kubelet and the EndpointSlice controller write it: the pod's status
/// (conditions), then its endpoint's <c>ready</c> in its Service's EndpointSlice. For each flip it reports how long until
/// the store holds both writes (the informers' events, <see cref="KubeSource"/>'s publish) and until the model of that
/// store version is out (the translator); p99 of 20 flips is their slowest. The cluster: N Services, each with one pod and one EndpointSlice, and an HTTPRoute
/// on every tenth Service, in 100 namespaces. Flips are <c>--settle</c> ms apart (200 unless told). Then <c>--adds</c>
/// pods are created (10 unless told), each timed the same way: a Pod added, which lengthens the store's list of pods; then as
/// many Services (a Service added: its routes and destinations only are compiled again).
/// </summary>
internal static class KubeScaleBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var services = ScaleBenchmark.IntArg(args, "--services", 20_000);
        var flips = ScaleBenchmark.IntArg(args, "--flips", 20);
        var settle = TimeSpan.FromMilliseconds(ScaleBenchmark.IntArg(args, "--settle", 200));
        var adds = ScaleBenchmark.IntArg(args, "--adds", 10);
        var at = Array.IndexOf(args, "--crds");
        if (at < 0 || at + 1 >= args.Length || !Directory.Exists(args[at + 1]))
        {
            Console.Error.WriteLine("kube-scale: --crds DIR, the Gateway API CRDs (conformance/upstream/crds/experimental), is required");
            return 2;
        }

        var crds = args[at + 1];
        var work = Directory.CreateTempSubdirectory("weft-kube-scale-");
        try
        {
            await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [crds], BookmarkInterval = TimeSpan.FromSeconds(1) }).ConfigureAwait(false);
            var kubeconfig = server.WriteKubeconfig(Path.Combine(work.FullName, "kubeconfig"));
            IKubernetes NewClient() => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var client = NewClient();

            var t0 = Stopwatch.GetTimestamp();
            await CreateClusterAsync(client, services).ConfigureAwait(false);
            Console.WriteLine($"cluster: {services} Services, pods and EndpointSlices, {services / 10} HTTPRoutes, created in {Stopwatch.GetElapsedTime(t0).TotalSeconds:F1} s");

            t0 = Stopwatch.GetTimestamp();
            await using var controller = await KubeController.StartAsync(
                new KubeControllerOptions
                {
                    Client = NewClient(),
                    Identity = "bench",
                    ListenAddress = "127.0.0.1",
                    Port = 0,
                    LoggerFactory = NullLoggerFactory.Instance,
                },
                CancellationToken.None).ConfigureAwait(false);
            await controller.WaitForSyncAsync(CancellationToken.None).ConfigureAwait(false);
            await controller.ControlPlane.WaitForVersionAsync(controller.ControlPlane.Store.Version, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"controller: listed and first model out in {Stopwatch.GetElapsedTime(t0).TotalSeconds:F2} s");

            // The status writer's first pass writes every route's status (the leader's, as the benchmark's controller is):
            // the changes below are timed after it, as a controller that has run a while has them.
            var routes = services / 10;
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
            while (controller.Status.Writes < routes && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }

            Console.WriteLine($"status writer: {controller.Status.Writes} of {routes} route statuses written {Stopwatch.GetElapsedTime(t0).TotalSeconds:F2} s after the start; {controller.Status.Passes} passes so far");

            // SCALE_ALLOC=1: the large-object allocations of the process (the controller and the stand-in both) from here
            // on, by type, listed at the end; and its collections.
            using var allocations = Environment.GetEnvironmentVariable("SCALE_ALLOC") == "1" ? new AllocationTicks() : null;
            var (gen1, gen2, paused) = (GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

            // Each write after a quiet period (longer than the translator's 50 ms debounce), as pods change now and then,
            // not back to back; timed until the store holds it (the resourceVersions the write returned) and until the
            // model of that store version is out.
            async Task TimeAsync(string what, int count, Func<int, Task<Dictionary<string, string>>> write)
            {
                var (passes, compared, passTime) = (controller.Status.Passes, controller.Status.Compared, controller.Status.PassTime);
                var cpu = ProcessCpu.Ms(Environment.ProcessId);
                var stored = new List<double>();
                var modelled = new List<double>();
                var writes = new List<double>();
                for (var n = 0; n < count; n++)
                {
                    await Task.Delay(settle).ConfigureAwait(false);
                    var started = Stopwatch.GetTimestamp();
                    var versions = await write(n).ConfigureAwait(false);
                    writes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await controller.Source.WaitForResourceVersionsAsync(versions, CancellationToken.None).ConfigureAwait(false);
                    stored.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await controller.ControlPlane.WaitForVersionAsync(controller.ControlPlane.Store.Version, CancellationToken.None).ConfigureAwait(false);
                    modelled.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                if (count > 0)
                {
                    Console.WriteLine($"{what}: {count}; in the store p50 {ScaleBenchmark.Percentile(stored, 0.5):F1} ms, p99 {ScaleBenchmark.Percentile(stored, 0.99):F1} ms; model out p50 {ScaleBenchmark.Percentile(modelled, 0.5):F1} ms, p99 {ScaleBenchmark.Percentile(modelled, 0.99):F1} ms; the writes returned p50 {ScaleBenchmark.Percentile(writes, 0.5):F1} ms");
                    // The status writer's passes in the same time (each compares the cluster's routes and policies with the
                    // newest model), and the process's CPU (the stand-in's included) per write.
                    var made = controller.Status.Passes - passes;
                    Console.WriteLine($"  status writer: {made} passes, {(controller.Status.Compared - compared) / (double)Math.Max(made, 1):F0} objects compared per pass, {(controller.Status.PassTime - passTime).TotalMilliseconds / Math.Max(made, 1):F1} ms per pass; process CPU {(ProcessCpu.Ms(Environment.ProcessId) - cpu) / count:F0} ms per write, the {settle.TotalMilliseconds:F0} ms settle included");
                }
            }

            // The kubelet's status write, then the EndpointSlice controller's: every pod starts ready, so the first flip
            // of each makes it not ready.
            await TimeAsync("readiness flips (both writes)", flips, async flip =>
            {
                var i = (flip * 7919) % services;
                var ready = flip / services % 2 == 1;
                var (ns, name) = Names(i);
                var pod = await client.CoreV1.PatchNamespacedPodStatusAsync(
                    new V1Patch($$$"""{"status":{"conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}""", V1Patch.PatchType.MergePatch),
                    name, ns).ConfigureAwait(false);
                var slice = await client.DiscoveryV1.PatchNamespacedEndpointSliceAsync(
                    new V1Patch(Endpoints(i, ready).ToJsonString(), V1Patch.PatchType.MergePatch), name, ns).ConfigureAwait(false);
                return new Dictionary<string, string>
                {
                    [KubeResource.Pods.QualifiedName] = pod.Metadata.ResourceVersion,
                    [KubeResource.EndpointSlices.QualifiedName] = slice.Metadata.ResourceVersion,
                };
            }).ConfigureAwait(false);

            // New pods, as the API server first has them (no IP yet: not scheduled): a Pod added, not changed.
            await TimeAsync("pods created", adds, async add =>
            {
                var ns = $"ns-{add % 100}";
                var pod = await client.CoreV1.CreateNamespacedPodAsync(
                    new V1Pod
                    {
                        Metadata = new V1ObjectMeta { Name = $"new-{add}", NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = "new" } },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app" }] },
                    },
                    ns).ConfigureAwait(false);
                return new Dictionary<string, string> { [KubeResource.Pods.QualifiedName] = pod.Metadata.ResourceVersion };
            }).ConfigureAwait(false);

            // New Services, as a deploy creates them (the API server gives each a cluster IP): a Service added.
            await TimeAsync("Services created", adds, async add =>
            {
                var ns = $"ns-{add % 100}";
                var service = await client.CoreV1.CreateNamespacedServiceAsync(
                    new V1Service
                    {
                        Metadata = new V1ObjectMeta { Name = $"new-svc-{add}", NamespaceProperty = ns },
                        Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "new" }, Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
                    },
                    ns).ConfigureAwait(false);
                return new Dictionary<string, string> { [KubeResource.Services.QualifiedName] = service.Metadata.ResourceVersion };
            }).ConfigureAwait(false);

            Console.WriteLine($"control-plane process RSS {Environment.WorkingSet / (1024 * 1024)} MB (with the API server stand-in and the cluster's JSON in it)");
            if (allocations is not null)
            {
                // A gen2 collection counts as a gen1 one too (CollectionCount(1) is of gen1 and older).
                var gen2s = GC.CollectionCount(2) - gen2;
                Console.WriteLine($"since the first model: {GC.CollectionCount(1) - gen1 - gen2s} gen1 and {gen2s} gen2 collections, paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms");
                foreach (var (type, bytes) in allocations.Top(200).Where(t => t.Type.StartsWith(AllocationTicks.Large, StringComparison.Ordinal)))
                {
                    Console.WriteLine($"alloc {bytes / 1048576.0,10:F1} MB {type}");
                }
            }
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static (string Namespace, string Name) Names(int i) => ($"ns-{i % 100}", $"svc-{i}");

    private static IPAddress Address(int i) => new([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);

    private static JsonObject Endpoints(int i, bool ready)
    {
        var (ns, name) = Names(i);
        return new JsonObject
        {
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray((JsonNode)Address(i).ToString()),
                ["conditions"] = new JsonObject { ["ready"] = ready },
                ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = name },
            }),
        };
    }

    private static async Task CreateClusterAsync(IKubernetes client, int services)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = WeftInstallation.DefaultNamespace } }).ConfigureAwait(false);
        for (var n = 0; n < 100; n++)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"ns-{n}" } }).ConfigureAwait(false);
        }

        await Parallel.ForAsync(0, services, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var (ns, name) = Names(i);
            var labels = new Dictionary<string, string> { ["app"] = name };
            await client.CoreV1.CreateNamespacedServiceAsync(
                new V1Service
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                    Spec = new V1ServiceSpec { Selector = labels, Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
                },
                ns, cancellationToken: ct).ConfigureAwait(false);
            await client.CoreV1.CreateNamespacedPodAsync(
                new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app", Ports = [new V1ContainerPort { ContainerPort = 8080 }] }] },
                },
                ns, cancellationToken: ct).ConfigureAwait(false);
            await client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch($$$"""{"status":{"phase":"Running","podIP":"{{{Address(i)}}}","conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch),
                name, ns, cancellationToken: ct).ConfigureAwait(false);
            var slice = Endpoints(i, ready: true);
            slice["apiVersion"] = "discovery.k8s.io/v1";
            slice["kind"] = "EndpointSlice";
            slice["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = name } };
            slice["addressType"] = "IPv4";
            slice["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" });
            await KubeResource.EndpointSlices.CreateAsync(client, slice, ct).ConfigureAwait(false);
            if (i % 10 == 0)
            {
                await KubeResource.HttpRoutes.CreateAsync(client, JsonNode.Parse($$$"""
                    {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},
                     "spec":{"parentRefs":[{"group":"","kind":"Service","name":"{{{name}}}","port":80}],
                             "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/v2"}}],"backendRefs":[{"name":"{{{name}}}","port":80}]}]}}
                    """)!.AsObject(), ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }
}
