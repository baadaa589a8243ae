using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.KubeApi.StandIn.Tests.Infrastructure;

namespace Weft.KubeApi.StandIn.Tests;

/// <summary>
/// A Pod's deletion as the API server's pod strategy has it (rest.BeforeDelete, CheckGracefulDelete): a pod bound to a
/// node and not terminal is kept, terminating, until its kubelet deletes it with grace 0; an unbound or terminal one goes
/// at once. And Nodes, cluster-scoped, registered with their status as a kubelet does.
/// </summary>
public sealed class PodGracefulDeletionTests
{
    [Fact]
    public async Task A_bound_pod_is_marked_terminating_a_second_delete_may_shorten_the_grace_and_grace_0_removes_it()
    {
        await using var k = await TestCluster.StartAsync();
        var pod = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("bound", nodeName: "node-a"), "default");
        var events = new ConcurrentQueue<(WatchEventType Type, V1Pod Pod)>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedPod("default", resourceVersion: pod.Metadata.ResourceVersion, onEvent: (type, p) => events.Enqueue((type, p)));

        var before = DateTimeOffset.UtcNow;
        var answered = await k.Client.CoreV1.DeleteNamespacedPodAsync("bound", "default");
        Assert.NotNull(answered.Metadata.DeletionTimestamp);
        Assert.Equal(30, answered.Metadata.DeletionGracePeriodSeconds); // the pod's terminationGracePeriodSeconds (defaulted)
        Assert.InRange(new DateTimeOffset(answered.Metadata.DeletionTimestamp.Value, TimeSpan.Zero), before.AddSeconds(29), before.AddSeconds(32));
        Assert.True(long.Parse(answered.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > long.Parse(pod.Metadata.ResourceVersion, CultureInfo.InvariantCulture));

        // Kept: read back terminating, and watchers see it MODIFIED.
        var kept = await k.Client.CoreV1.ReadNamespacedPodAsync("bound", "default");
        Assert.Equal(answered.Metadata.DeletionTimestamp, kept.Metadata.DeletionTimestamp);
        await Eventually.TrueAsync(() => events.Any(e => e.Type == WatchEventType.Modified && e.Pod.Metadata.DeletionTimestamp is not null), "a MODIFIED event with deletionTimestamp");

        // A longer grace changes nothing; a shorter one moves the timestamp as much earlier.
        var longer = await k.Client.CoreV1.DeleteNamespacedPodAsync("bound", "default", new V1DeleteOptions { GracePeriodSeconds = 60 });
        Assert.Equal(30, longer.Metadata.DeletionGracePeriodSeconds);
        Assert.Equal(answered.Metadata.ResourceVersion, longer.Metadata.ResourceVersion);
        var shorter = await k.Client.CoreV1.DeleteNamespacedPodAsync("bound", "default", new V1DeleteOptions { GracePeriodSeconds = 5 });
        Assert.Equal(5, shorter.Metadata.DeletionGracePeriodSeconds);
        Assert.Equal(answered.Metadata.DeletionTimestamp.Value.AddSeconds(-25), shorter.Metadata.DeletionTimestamp);

        // The kubelet's delete: grace 0 with the uid as precondition (another uid is a conflict).
        var wrongUid = await Assert.ThrowsAsync<HttpOperationException>(() => k.Client.CoreV1.DeleteNamespacedPodAsync("bound", "default",
            new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString() } }));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, wrongUid.Response.StatusCode);
        await k.Client.CoreV1.DeleteNamespacedPodAsync("bound", "default", new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } });
        Assert.Empty((await k.Client.CoreV1.ListNamespacedPodAsync("default")).Items);
        await Eventually.TrueAsync(() => events.Any(e => e.Type == WatchEventType.Deleted), "a DELETED event");
    }

    [Fact]
    public async Task A_deletes_query_grace_period_counts_only_without_a_body_and_a_grace_period_that_is_not_an_integer_is_400()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("bound", nodeName: "node-a"), "default");

        async Task<(System.Net.HttpStatusCode Status, string Body)> DeleteAsync(string query, string? body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(k.Server.Address, $"/api/v1/namespaces/default/pods/bound{query}"));
            request.Headers.Authorization = new("Bearer", k.Server.AdminToken);
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await k.Client.HttpClient.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // A body without a grace period: the query's 0 is not read (the API server decodes the query only for an empty body).
        var kept = await DeleteAsync("?gracePeriodSeconds=0", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}");
        Assert.Equal(System.Net.HttpStatusCode.OK, kept.Status);
        Assert.Equal(30, (await k.Client.CoreV1.ReadNamespacedPodAsync("bound", "default")).Metadata.DeletionGracePeriodSeconds);

        var notInteger = await DeleteAsync("", "{\"gracePeriodSeconds\":\"soon\"}");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, notInteger.Status);
        Assert.Contains("DeleteOptions.gracePeriodSeconds of type int64", notInteger.Body, StringComparison.Ordinal);

        // No body: the query's grace period is the one.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await DeleteAsync("?gracePeriodSeconds=0", null)).Status);
        Assert.Empty((await k.Client.CoreV1.ListNamespacedPodAsync("default")).Items);
    }

    [Fact]
    public async Task An_unbound_pod_a_terminal_pod_and_a_delete_with_grace_0_go_at_once()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("unbound", nodeName: null), "default");
        await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("forced", nodeName: "node-a"), "default");
        var failed = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("failed", nodeName: "node-a"), "default");
        failed.Status = new V1PodStatus { Phase = "Failed" };
        await k.Client.CoreV1.ReplaceNamespacedPodStatusAsync(failed, "failed", "default");

        await k.Client.CoreV1.DeleteNamespacedPodAsync("unbound", "default");
        await k.Client.CoreV1.DeleteNamespacedPodAsync("failed", "default");
        await k.Client.CoreV1.DeleteNamespacedPodAsync("forced", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });

        Assert.Empty((await k.Client.CoreV1.ListNamespacedPodAsync("default")).Items);
    }

    [Fact]
    public async Task A_delete_whose_grace_period_ends_at_0_is_watched_as_a_MODIFIED_marking_the_pod_then_its_DELETED()
    {
        // The generic store writes the pod marked (deletionTimestamp, deletionGracePeriodSeconds 0), then deletes that
        // state: a bound pod deleted with grace 0, an unbound one, and a terminating one whose grace is shortened to 0.
        await using var k = await TestCluster.StartAsync();
        var first = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("forced", nodeName: "node-a"), "default");
        await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("unbound", nodeName: null), "default");
        await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("shortened", nodeName: "node-a"), "default");
        var events = new ConcurrentQueue<(WatchEventType Type, V1Pod Pod)>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedPod("default", resourceVersion: first.Metadata.ResourceVersion, onEvent: (type, p) => events.Enqueue((type, p)));

        await k.Client.CoreV1.DeleteNamespacedPodAsync("forced", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        await k.Client.CoreV1.DeleteNamespacedPodAsync("unbound", "default");
        await k.Client.CoreV1.DeleteNamespacedPodAsync("shortened", "default");
        await k.Client.CoreV1.DeleteNamespacedPodAsync("shortened", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        Assert.Empty((await k.Client.CoreV1.ListNamespacedPodAsync("default")).Items);

        foreach (var (name, marks) in new[] { ("forced", 1), ("unbound", 1), ("shortened", 2) })
        {
            await Eventually.TrueAsync(() => events.Any(e => e.Pod.Metadata.Name == name && e.Type == WatchEventType.Deleted), $"{name}: a DELETED event");
            var seen = events.Where(e => e.Pod.Metadata.Name == name && e.Type != WatchEventType.Added).ToList();
            Assert.Equal([.. Enumerable.Repeat(WatchEventType.Modified, marks), WatchEventType.Deleted], seen.Select(e => e.Type));
            Assert.All(seen, e => Assert.NotNull(e.Pod.Metadata.DeletionTimestamp));
            Assert.Equal(0, seen[^2].Pod.Metadata.DeletionGracePeriodSeconds);
            Assert.Equal(0, seen[^1].Pod.Metadata.DeletionGracePeriodSeconds);
            Assert.True(long.Parse(seen[^1].Pod.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > long.Parse(seen[^2].Pod.Metadata.ResourceVersion, CultureInfo.InvariantCulture));
        }
    }

    [KubectlFact]
    public async Task Kubectl_delete_pod_waits_until_the_kubelet_deletes_it_with_grace_0()
    {
        foreach (var kubectl in Kubectls.All)
        {
            await using var k = await TestCluster.StartAsync();
            var pod = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web", nodeName: "node-a"), "default");
            var deleting = Task.Run(() => Kubectls.Run(kubectl, k.Kubeconfig, ["delete", "pod", "web", "-n", "default"], TimeSpan.FromSeconds(60)));

            // kubectl has asked and waits for the object to go; the kubelet (here: the test) sees it terminating.
            await Eventually.ValueAsync(() => k.Client.CoreV1.ReadNamespacedPodAsync("web", "default"), p => p.Metadata.DeletionTimestamp is not null, $"{kubectl}: the pod terminating", TimeSpan.FromSeconds(30));
            Assert.False(deleting.IsCompleted, $"{kubectl} returned before the pod was gone: {(deleting.IsCompleted ? deleting.Result.Output : "")}");
            await k.Client.CoreV1.DeleteNamespacedPodAsync("web", "default", new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } });

            var result = await deleting;
            Assert.True(result.ExitCode == 0, $"{kubectl}: {result.Output} {result.Error}");
            Assert.Contains("pod \"web\" deleted", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_Node_is_cluster_scoped_and_created_with_its_status()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "node-a", Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "node-a" } },
            Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }] },
        });

        var node = await k.Client.CoreV1.ReadNodeAsync("node-a");
        Assert.Equal("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Single((await k.Client.CoreV1.ListNodeAsync()).Items);
        await k.Client.CoreV1.DeleteNodeAsync("node-a");
        Assert.Empty((await k.Client.CoreV1.ListNodeAsync()).Items);
    }

    private static V1Pod Pod(string name, string? nodeName) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = nodeName, Containers = [new V1Container { Name = "app", Image = "x" }] },
    };
}
