using k8s;
using k8s.Models;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Cli.Local.Api;
using Weft.KubeApi.StandIn;

namespace Weft.Kubernetes.Tests;

/// <summary>weft up's kubelet role (<see cref="ApiClusterRecord"/>) against the API server stand-in.</summary>
public sealed class ApiClusterRecordTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-record-").FullName;
    private KubeApiServer _api = null!;

    public async Task InitializeAsync() => _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8" });

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_pod_registered_before_the_desired_state_that_names_it_is_published_is_not_taken_for_gone()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await using var record = new ApiClusterRecord(client, Path.Combine(_work, "credentials"), "", "127.0.0.1", progress: null);
        await using var pod = Web();
        record.Start();

        // As the local cluster does: the pod starts (and registers) before the state naming it is published. Registering
        // wakes the writer, whose first pass writes the state current then, which does not name the pod.
        await record.RegisterAsync(pod, CancellationToken.None);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await record.WaitForWrittenAsync(deadline.Token);
        }

        Assert.True(File.Exists(record.TokenFile(pod)), "the pod's token was deleted: its sidecar could never authenticate");
        Assert.Single((await client.CoreV1.ListNamespacedPodAsync("shop")).Items);
    }

    /// <summary>
    /// weft up stopping cleanly (Ctrl-C, SIGTERM): the local cluster stops its pods, then the record deletes their Pods
    /// and, as a kubelet's projected volume goes with its pod, each pod's token file.
    /// </summary>
    [Fact]
    public async Task A_pods_token_file_goes_with_it_when_the_record_stops()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        var record = new ApiClusterRecord(client, Path.Combine(_work, "credentials"), "", "127.0.0.1", progress: null);
        string token;
        try
        {
            await using var pod = Web();
            record.Start();
            await record.RegisterAsync(pod, CancellationToken.None);
            token = record.TokenFile(pod);
            Assert.True(File.Exists(token), "no token file to begin with");
        }
        finally
        {
            await record.DisposeAsync();
        }

        Assert.False(File.Exists(token), $"{token} outlived its pod");
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("shop")).Items);
    }

    /// <summary>
    /// A run that was killed left its Pods bound to the node, which the next run takes over and keeps Ready, so nothing
    /// else deletes them (a real server's PodGC only deletes Pods of a Node that does not exist): the next run does, at
    /// once (grace 0), before it records its own. Pods of other nodes are not its to touch.
    /// </summary>
    [Fact]
    public async Task Pods_an_earlier_run_left_bound_to_the_node_are_deleted_and_no_others()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        V1Pod Bound(string name, string node) => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app", Image = "nginx" }] },
        };
        await client.CoreV1.CreateNamespacedPodAsync(Bound("web-old-1", EndpointSliceController.NodeName), "shop");
        await client.CoreV1.CreateNamespacedPodAsync(Bound("web-old-2", EndpointSliceController.NodeName), "shop");
        await client.CoreV1.CreateNamespacedPodAsync(Bound("elsewhere", "node-a"), "shop");
        await using var record = new ApiClusterRecord(client, Path.Combine(_work, "credentials"), "", "127.0.0.1", progress: null);

        Assert.Equal(2, await record.SweepLeftoversAsync(CancellationToken.None));

        Assert.Equal(["elsewhere"], (await client.CoreV1.ListNamespacedPodAsync("shop")).Items.Select(p => p.Metadata.Name));
    }

    /// <summary>
    /// A kubelet writes a pod's status when a container's state changes, ready or not: an app that exits over and over in
    /// a pod that is never Ready (nothing listens on its port) has its restarts (kubectl's RESTARTS), its last exit and
    /// CrashLoopBackOff in the API as they happen, not only at the next readiness flip.
    /// </summary>
    [Fact]
    public async Task A_container_restarting_in_a_pod_that_is_never_ready_has_its_restarts_written_as_they_happen()
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await using var record = new ApiClusterRecord(client, Path.Combine(_work, "credentials"), "", "127.0.0.1", progress: null);
        record.Start();
        await using var pod = Unready(record, "sh -c 'exit 3'");
        Assert.True(pod.Start(), pod.Problem);
        record.Publish([new PodStatus(pod.Object, Ready: false)], []);
        DateTime? notReadySince = null;
        await Weft.Conformance.Tests.WeftChildren.WaitAsync(
            () => (notReadySince = Condition(client, pod, "Ready")?.LastTransitionTime) is not null,
            TimeSpan.FromSeconds(30),
            () => "no Ready condition written");

        V1ContainerStatus? app = null;
        await Weft.Conformance.Tests.WeftChildren.WaitAsync(
            () => (app = ContainerStatus(client, pod)) is { RestartCount: >= 2 },
            TimeSpan.FromSeconds(30),
            () => $"restarts in the API: {app?.RestartCount.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no container status"}, in the pod: {pod.ContainerStates().Single().Restarts}");
        Assert.False(pod.Ready);
        Assert.Equal(3, app!.LastState?.Terminated?.ExitCode);
        Assert.Equal("Error", app.LastState?.Terminated?.Reason);
        Assert.False(app.Ready);

        // Not ready all along: as a kubelet's, the conditions' lastTransitionTime is when that began, not the last restart.
        var written = client.CoreV1.ReadNamespacedPod(pod.Name, pod.Namespace);
        Assert.All(
            written.Status.Conditions.Where(c => c.Type is "Ready" or "ContainersReady"),
            c => Assert.Equal((c.Type, "False", notReadySince), (c.Type, c.Status, c.LastTransitionTime)));
    }

    /// <summary>
    /// No write storm: a pod whose readiness and containers have not changed since its status was written is not written
    /// again. Counted as the PUTs to its status subresource (the stand-in gives a write that changes nothing no new
    /// resourceVersion, and its timestamps are to the second, so the Pod as read could not tell).
    /// </summary>
    [Fact]
    public async Task A_pod_status_is_not_written_again_while_nothing_in_it_changed()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var statusWrites = new StatusWrites();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))), statusWrites);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } }, cancellationToken: deadline.Token);
        await using var record = new ApiClusterRecord(client, Path.Combine(_work, "credentials"), "", "127.0.0.1", progress: null);
        record.Start();
        await using var pod = Unready(record, "sleep 600");
        Assert.True(pod.Start(), pod.Problem);
        record.Publish([new PodStatus(pod.Object, Ready: false)], []);
        await Weft.Conformance.Tests.WeftChildren.WaitAsync(
            () => ContainerStatus(client, pod)?.State?.Running is not null,
            TimeSpan.FromSeconds(30),
            () => "the container never written as running");
        await record.WaitForWrittenAsync(deadline.Token);
        var written = statusWrites.Count;

        for (var i = 0; i < 3; i++)
        {
            record.Publish([new PodStatus(pod.Object, Ready: false)], []);
            await record.WaitForWrittenAsync(deadline.Token);
        }

        Assert.Equal(written, statusWrites.Count);
    }

    /// <summary>Counts the PUTs to a Pod's status subresource.</summary>
    private sealed class StatusWrites : DelegatingHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Put && path.EndsWith("/status", StringComparison.Ordinal) && path.Contains("/pods/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    // The pod's one container's status in the API; null before the Pod is recorded (the pod registers it as it starts).
    private static V1ContainerStatus? ContainerStatus(k8s.Kubernetes client, LocalPod pod)
    {
        try
        {
            return client.CoreV1.ReadNamespacedPod(pod.Name, pod.Namespace).Status?.ContainerStatuses?.SingleOrDefault();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static V1PodCondition? Condition(k8s.Kubernetes client, LocalPod pod, string type)
    {
        try
        {
            return client.CoreV1.ReadNamespacedPod(pod.Name, pod.Namespace).Status?.Conditions?.SingleOrDefault(c => c.Type == type);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    // A pod with no sidecar whose app runs COMMAND, never Ready: nothing listens on its port.
    private LocalPod Unready(ApiClusterRecord record, string command) => new(
        new Deployment
        {
            ApiVersion = "apps/v1",
            Metadata = new ObjectMeta { Name = "app", Namespace = "shop" },
            Template = new PodTemplate
            {
                Labels = new Dictionary<string, string> { ["app"] = "app" },
                Spec = new PodSpec { Containers = [new Container { Name = "app", Image = "local", Ports = [new ContainerPort { Port = 9 }] }] },
            },
        },
        "abc", "app-abc-1", System.Net.IPAddress.Parse("127.99.3.1"),
        new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = Path.Combine(_work, "logs"), Images = new ImageMap([new("local", command)]), Record = record },
        new PodMeshSettings("off", Weft.Proxy.Security.MtlsMode.Strict));

    private LocalPod Web() => new(
        new Deployment
        {
            ApiVersion = "apps/v1",
            Metadata = new ObjectMeta { Name = "web", Namespace = "shop" },
            Template = new PodTemplate { Labels = new Dictionary<string, string> { ["app"] = "web" }, Spec = new PodSpec { Containers = [new Container { Name = "web", Image = "nginx" }] } },
        },
        "abc", "web-abc-1", System.Net.IPAddress.Parse("127.99.2.1"),
        new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = Path.Combine(_work, "logs"), Images = new ImageMap([new("nginx", "true")]) },
        new PodMeshSettings("l7", Weft.Proxy.Security.MtlsMode.Strict));
}
