using System.Diagnostics;
using k8s;
using k8s.Models;
using Weft.Conformance.Tests;
using Weft.KubeApi.StandIn;
using Weft.Tests.Shared;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// <c>weft up DIR --kubeconfig FILE</c> (a separate weft process, against the API server stand-in) as the kubelet of its
/// pods: a Pod deleted through the API stops with the delete's grace period (<c>metadata.deletionGracePeriodSeconds</c>:
/// the request's, else the Pod's <c>terminationGracePeriodSeconds</c>), SIGKILL only once it has passed, and at once with
/// grace 0; a terminating Pod deleted again with grace 0 (<c>--grace-period=0 --force</c>) is killed then. The apps are real processes that ignore SIGTERM and write their pid to a file.
/// </summary>
public sealed class PodTerminationAgainstApiServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WeftChildren _children = new(output);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-up-grace-").FullName;
    private KubeApiServer _api = null!;

    private string Kubeconfig => Path.Combine(_work, "kubeconfig");

    private string Pids => Path.Combine(_work, "pids");

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds], ServiceCidr = "127.0.0.0/8" });
        _api.WriteKubeconfig(Kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await _children.DisposeAsync();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_pod_deleted_through_the_API_is_killed_once_the_deletes_grace_period_has_passed_and_at_once_with_grace_0_even_while_terminating()
    {
        var manifests = Path.Combine(_work, "dir");
        Directory.CreateDirectory(manifests);
        Directory.CreateDirectory(Pids);
        await File.WriteAllTextAsync(Path.Combine(manifests, "web.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              replicas: 4
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web, weft.dev/mesh: "off"}}
                spec:
                  terminationGracePeriodSeconds: 8
                  containers: [{name: app, image: stubborn}]
            """);

        // An app that says its pid and, when it gets SIGTERM, writes {pod}.term and goes on: only a SIGKILL stops it.
        await File.WriteAllTextAsync(Path.Combine(manifests, "weft-images.yaml"),
            $"stubborn: 'sh -c \"trap ''echo term > {Pids}/{{pod}}.term'' TERM; echo $$ > {Pids}/{{pod}}.pid; while :; do sleep 0.1; done\"'\n");
        var readyFile = Path.Combine(_work, "ready.json");
        var up = _children.Start(["up", manifests, "--kubeconfig", Kubeconfig, "--ready-file", readyFile, "--isolation", "process"], out var upOutput);
        await WeftChildren.WaitAsync(() => File.Exists(readyFile) || up.HasExited, TimeSpan.FromSeconds(120), () => upOutput.ToString());
        Assert.False(up.HasExited, upOutput.ToString());

        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
        var names = (await client.CoreV1.ListNamespacedPodAsync("shop")).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(4, names.Count);
        Assert.All((await client.CoreV1.ListNamespacedPodAsync("shop")).Items, p => Assert.Equal(8, p.Spec.TerminationGracePeriodSeconds)); // the template's, as recorded
        var pids = new List<int>();
        foreach (var name in names)
        {
            pids.Add(await PidOfAsync(name, upOutput));
        }

        // kubectl delete pod (the Pod's own 8 s, twice), --grace-period=1, --grace-period=0 --force, at the same time.
        var deleting = Stopwatch.StartNew();
        await Task.WhenAll(
            client.CoreV1.DeleteNamespacedPodAsync(names[0], "shop"),
            client.CoreV1.DeleteNamespacedPodAsync(names[3], "shop"),
            client.CoreV1.DeleteNamespacedPodAsync(names[1], "shop", new V1DeleteOptions { GracePeriodSeconds = 1 }),
            client.CoreV1.DeleteNamespacedPodAsync(names[2], "shop", new V1DeleteOptions { GracePeriodSeconds = 0 }));

        // Grace 1: still running half a second in (a look at a moment: load only delays a kill), SIGTERM first.
        await ProcessWatch.WaitUntilAsync(deleting, TimeSpan.FromSeconds(0.5));
        Assert.True(ProcessWatch.IsRunning(pids[1]), "grace 1: killed before it passed");

        // Grace 0: killed at once, without SIGTERM (before, every pod got SIGTERM and 3 s): a signal, not a time.
        await WeftChildren.WaitAsync(() => !ProcessWatch.IsRunning(pids[2]), TimeSpan.FromSeconds(10), () => $"grace 0: not killed\n{upOutput}");
        Assert.False(File.Exists(Path.Combine(Pids, $"{names[2]}.term")), "grace 0: sent SIGTERM, not killed at once");
        await WeftChildren.WaitAsync(() => !ProcessWatch.IsRunning(pids[1]), TimeSpan.FromSeconds(10), () => $"grace 1: not killed once it passed\n{upOutput}");
        Assert.True(File.Exists(Path.Combine(Pids, $"{names[1]}.term")), "grace 1: killed without SIGTERM first");

        // The Pod's own grace period, 8 s: still running past the 3 s every pod had, killed once it passed.
        await ProcessWatch.WaitUntilAsync(deleting, TimeSpan.FromSeconds(4));
        Assert.True(ProcessWatch.IsRunning(pids[0]) && ProcessWatch.IsRunning(pids[3]), "grace 8 (the Pod's terminationGracePeriodSeconds): killed before it passed");

        // One of them deleted again, with grace 0: its grace period is cut short, as a kubelet does.
        await client.CoreV1.DeleteNamespacedPodAsync(names[3], "shop", new V1DeleteOptions { GracePeriodSeconds = 0 });
        // Within 3.5 s of it, well before its 8 s (4 s away): not left to run them out.
        await WeftChildren.WaitAsync(() => !ProcessWatch.IsRunning(pids[3]), TimeSpan.FromSeconds(3.5), () => $"terminating, then grace 0: not killed at once\n{upOutput}");
        Assert.True(ProcessWatch.IsRunning(pids[0]), "the other terminating pod killed with it");
        await WeftChildren.WaitAsync(() => !ProcessWatch.IsRunning(pids[0]), TimeSpan.FromSeconds(13) - deleting.Elapsed, () => $"grace 8: not killed once it passed\n{upOutput}");
        Assert.True(deleting.Elapsed >= TimeSpan.FromSeconds(7.5), $"grace 8: killed after {deleting.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<int> PidOfAsync(string pod, System.Text.StringBuilder upOutput)
    {
        var file = Path.Combine(Pids, $"{pod}.pid");
        var pid = 0;
        await WeftChildren.WaitAsync(
            () => File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out pid) && pid > 0,
            TimeSpan.FromSeconds(30),
            () => $"pod {pod}'s app never started\n{upOutput}");
        return pid;
    }
}
