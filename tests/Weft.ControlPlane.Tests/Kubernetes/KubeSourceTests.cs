using k8s;
using k8s.Models;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Objects;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// <see cref="KubeSource"/> reads again only the objects its informers' watch events named since the last publish, and
/// every object after a list: whatever the order of creates, edits, status writes, deletes and relists, the store must
/// hold what the API server holds.
/// </summary>
public sealed class KubeSourceTests
{
    private const string Ns = "shop";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task After_each_write_of_a_random_sequence_with_relists_the_store_holds_what_the_api_server_holds(int seed)
    {
        // No bookmarks, so that a compaction makes the watches' versions expire (410) and the informers list again.
        await using var cluster = await KubeCluster.StartAsync(bookmarkInterval: TimeSpan.FromHours(1));
        await cluster.ApplyAsync("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: sentinel}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s, namespace: sentinel}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: sentinel}
            spec: {containers: [{name: app, image: app}]}
            """);
        var controller = await cluster.StartControllerAsync("replica-a");
        var store = controller.ControlPlane.Store;
        var client = cluster.Client;
        var random = new Random(seed);
        var services = new Dictionary<string, string>(); // name -> label v
        var pods = new Dictionary<string, string?>(); // name -> pod IP

        for (var step = 0; step < 120; step++)
        {
            if (step % 20 == 10)
            {
                // History forgotten and the watches cut: every informer lists again, and the writes from here until it
                // watches again reach it in that list, not as events.
                cluster.Server.Compact();
                cluster.Server.DropWatches();
            }

            var name = $"x{random.Next(6)}";
            var v = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (random.Next(7))
            {
                case 0 when !services.ContainsKey(name):
                    await client.CoreV1.CreateNamespacedServiceAsync(
                        new V1Service
                        {
                            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Labels = new Dictionary<string, string> { ["v"] = v } },
                            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
                        },
                        Ns);
                    services[name] = v;
                    break;
                case 1 when services.ContainsKey(name):
                    await client.CoreV1.PatchNamespacedServiceAsync(Merge(Labels("v", v)), name, Ns);
                    services[name] = v;
                    break;
                case 2 when services.Remove(name):
                    await client.CoreV1.DeleteNamespacedServiceAsync(name, Ns);
                    break;
                case 3 when !pods.ContainsKey(name):
                    await client.CoreV1.CreateNamespacedPodAsync(
                        new V1Pod
                        {
                            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
                            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app" }] },
                        },
                        Ns);
                    pods[name] = null;
                    break;
                case 4 when pods.ContainsKey(name):
                    var ip = $"10.0.0.{step + 1}";
                    await client.CoreV1.PatchNamespacedPodStatusAsync(Merge($$$"""{"status":{"podIP":"{{{ip}}}"}}"""), name, Ns);
                    pods[name] = ip;
                    break;
                case 5 when pods.ContainsKey(name):
                    // What the mesh does not read: the store keeps the Pod it has.
                    var ready = random.Next(2) == 0 ? "True" : "False";
                    await client.CoreV1.PatchNamespacedPodStatusAsync(Merge($$$"""{"status":{"conditions":[{"type":"Ready","status":"{{{ready}}}"}]}}"""), name, Ns);
                    break;
                case 6 when pods.Remove(name):
                    await client.CoreV1.DeleteNamespacedPodAsync(name, Ns);
                    break;
                default:
                    continue;
            }

            // Sometimes several writes before a look: one publish may take many changes.
            if (random.Next(3) == 0)
            {
                await Caught(controller);
                Assert.Equal(Expected(services), Services(store));
                Assert.Equal(Expected(pods), Pods(store));
            }
        }

        await Caught(controller);
        Assert.Equal(Expected(services), Services(store));
        Assert.Equal(Expected(pods), Pods(store));
    }

    private static V1Patch Merge(string json) => new(json, V1Patch.PatchType.MergePatch);

    private static string Labels(string key, string value) =>
        new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["labels"] = new System.Text.Json.Nodes.JsonObject { [key] = value } } }.ToJsonString();

    /// <summary>
    /// Waits until the store has everything written so far: a label written last to a Service and a Pod of another
    /// namespace gives their informers a version after every write before it (the API server's versions are one
    /// sequence, and an informer's events come in their order).
    /// </summary>
    private static async Task Caught(KubeController controller)
    {
        var client = controller.Options.Client;
        var label = Merge(Labels("t", Guid.NewGuid().ToString("N")));
        var versions = new Dictionary<string, string>
        {
            [KubeResource.Services.QualifiedName] = (await client.CoreV1.PatchNamespacedServiceAsync(label, "s", "sentinel")).Metadata.ResourceVersion,
            [KubeResource.Pods.QualifiedName] = (await client.CoreV1.PatchNamespacedPodAsync(label, "p", "sentinel")).Metadata.ResourceVersion,
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await controller.Source.WaitForResourceVersionsAsync(versions, timeout.Token);
    }

    private static IEnumerable<string> Expected<T>(Dictionary<string, T> objects) => objects.Select(o => $"{o.Key}={o.Value}").Order(StringComparer.Ordinal);

    private static IEnumerable<string> Services(ObjectStore store) =>
        store.Snapshot().Mesh.Services.Where(s => s.Namespace == Ns).Select(s => $"{s.Name}={s.Metadata.Labels["v"]}").Order(StringComparer.Ordinal);

    private static IEnumerable<string> Pods(ObjectStore store) =>
        store.Snapshot().Mesh.Pods.Where(p => p.Namespace == Ns).Select(p => $"{p.Name}={p.PodIP}").Order(StringComparer.Ordinal);
}
