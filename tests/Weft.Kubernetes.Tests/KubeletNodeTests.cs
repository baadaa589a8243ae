using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Time.Testing;
using Weft.Cli.Local.Api;
using Weft.Conformance.Tests;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// One weft up per API server: the local node (<see cref="KubeletNode"/>) is held through its Lease, claimed in one write
/// before anything else is written, so that a second run is refused while the first holds it, even when both start
/// together; a Lease that expired, or whose run on this machine was killed, is taken over. A run that finds its Lease
/// taken stops renewing it, and leaves it and the Node to the run that took them when it stops.
/// </summary>
public sealed class KubeletNodeTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-node-").FullName;
    private KubeApiServer _api = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8" });
        _client = Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_second_run_is_refused_while_the_first_holds_the_node_and_takes_it_once_the_first_has_stopped()
    {
        var first = RunIdentity.Of("elsewhere", 4242, 1_700_000_000_000);
        await using (var node = await ClaimAsync(first))
        {
            await node.StartAsync(CancellationToken.None);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ClaimAsync());
            Assert.StartsWith("another weft up runs against this API server: the Lease kube-node-lease/weft-local", refused.Message, StringComparison.Ordinal);
            Assert.Contains($"by {first};", refused.Message, StringComparison.Ordinal);
            Assert.Equal(first, await HolderAsync()); // the refused run wrote nothing

            await ClaimAndReleaseAsync(first); // its own
        }

        await ClaimAndReleaseAsync(); // stopped cleanly: its Lease is gone
    }

    [Fact]
    public async Task A_lease_left_by_a_killed_run_on_this_machine_or_expired_is_taken_over()
    {
        // A run on this machine whose process is gone: this pid, but another start time, is another process that had the
        // pid before (the kernel reuses pids).
        await WriteLeaseAsync(RunIdentity.Of(Environment.MachineName, Environment.ProcessId, 1), DateTimeOffset.UtcNow);
        await ClaimAndReleaseAsync();

        // A pid no process has (above the kernel's pid_max).
        await WriteLeaseAsync(RunIdentity.Of(Environment.MachineName, int.MaxValue, 1), DateTimeOffset.UtcNow);
        await ClaimAndReleaseAsync();

        // Held by a live run elsewhere, but not renewed for longer than its duration.
        await WriteLeaseAsync(RunIdentity.Of("elsewhere", 4242, 1), DateTimeOffset.UtcNow - TimeSpan.FromSeconds(KubeletNode.LeaseDurationSeconds + 1));
        await ClaimAndReleaseAsync();

        // This process, by its real start: alive, so held.
        await WriteLeaseAsync(RunIdentity.Current, DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<InvalidOperationException>(() => ClaimAsync("another"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Of_two_runs_claiming_the_node_together_one_wins_and_the_other_is_refused(bool expiredLease)
    {
        if (expiredLease)
        {
            await WriteLeaseAsync(RunIdentity.Of("killed", 1, 1), DateTimeOffset.UtcNow - TimeSpan.FromSeconds(KubeletNode.LeaseDurationSeconds + 1));
        }

        // Both read the Lease (none, or the expired one) before either writes it.
        var bothRead = new Rendezvous(2);
        using var clientA = Client(new FirstLeaseReadTogether(bothRead));
        using var clientB = Client(new FirstLeaseReadTogether(bothRead));
        var (a, b) = (RunIdentity.Of("machine-a", 1, 1), RunIdentity.Of("machine-b", 2, 2));
        var outcomes = await Task.WhenAll(ClaimOutcomeAsync(clientA, a), ClaimOutcomeAsync(clientB, b));
        try
        {
            Assert.Equal(1, outcomes.Count(o => o.Node is not null));
            var (winner, loser) = outcomes[0].Node is not null ? (a, outcomes[1]) : (b, outcomes[0]);
            var refused = Assert.IsType<InvalidOperationException>(loser.Error);
            Assert.Contains($"by {winner};", refused.Message, StringComparison.Ordinal);
            Assert.Equal(winner, await HolderAsync());
        }
        finally
        {
            foreach (var outcome in outcomes.Where(o => o.Node is not null))
            {
                await outcome.Node!.DisposeAsync();
            }
        }

        static async Task<(KubeletNode? Node, Exception? Error)> ClaimOutcomeAsync(IKubernetes client, string run)
        {
            try
            {
                return (await KubeletNode.ClaimAsync(client, "127.0.0.1", progress: null, CancellationToken.None, run: run), null);
            }
            catch (InvalidOperationException e)
            {
                return (null, e);
            }
        }
    }

    [Fact]
    public async Task A_run_whose_lease_another_run_took_stops_renewing_it_and_says_so()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var progress = new LockedWriter();
        var (a, b) = (RunIdentity.Of("machine-a", 1, 1), RunIdentity.Of("machine-b", 2, 2));
        await using var first = await ClaimAsync(a, time, progress);
        await first.StartAsync(CancellationToken.None);

        // The first run's renewals stop reaching the server for longer than the Lease's duration: for the second, it expired.
        await using var second = await ClaimAsync(b, new FakeTimeProvider(time.GetUtcNow() + TimeSpan.FromSeconds(KubeletNode.LeaseDurationSeconds + 1)));

        time.Advance(KubeletNode.RenewInterval);
        await WeftChildren.WaitAsync(
            () => progress.Text.Contains($"warning: another weft up ({b}) took the node weft-local: this run no longer renews it; stop one of them", StringComparison.Ordinal),
            Deadline,
            () => $"the first run did not say it lost the node: {progress.Text}");
        Assert.Equal(b, await HolderAsync());
    }

    [Fact]
    public async Task A_run_that_stops_after_another_took_its_lease_leaves_that_runs_lease_and_node()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (a, b) = (RunIdentity.Of("machine-a", 1, 1), RunIdentity.Of("machine-b", 2, 2));
        var first = await ClaimAsync(a, time);
        await first.StartAsync(CancellationToken.None);
        var second = await ClaimAsync(b, new FakeTimeProvider(time.GetUtcNow() + TimeSpan.FromSeconds(KubeletNode.LeaseDurationSeconds + 1)));
        await second.StartAsync(CancellationToken.None);
        var node = await KubeResource.Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None);

        await first.DisposeAsync();
        Assert.Equal(b, await HolderAsync());
        Assert.Equal(node?["metadata"]?["uid"]?.GetValue<string>(), (await KubeResource.Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None))?["metadata"]?["uid"]?.GetValue<string>());

        await second.DisposeAsync();
        Assert.Null(await KubeResource.Leases.GetAsync(_client, KubeletNode.LeaseNamespace, KubeletNode.Name, CancellationToken.None));
        Assert.Null(await KubeResource.Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None));
    }

    /// <summary>
    /// A kubelet registers its Node again when it finds it gone: a Node deleted through the API server while weft up
    /// runs (<c>kubectl delete node weft-local</c>) is back at the next beat (10 s), as it was registered (labels, taint,
    /// addresses, Ready), with one line saying so; its Lease is owned by the new Node in that same beat (owned by the
    /// deleted one, a garbage collector would delete it), one deleted all the same is created again at the next renewal,
    /// and the heartbeat goes on.
    /// </summary>
    [Fact]
    public async Task A_Node_deleted_through_the_API_server_is_registered_again_at_the_next_beat()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var progress = new LockedWriter();
        await using var node = await ClaimAsync(time: time, progress: progress);
        await node.StartAsync(CancellationToken.None);
        var registered = (await Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None))!;

        await _client.CoreV1.DeleteNodeAsync(KubeletNode.Name);
        time.Advance(KubeletNode.RenewInterval);
        JsonObject? again = null;
        // Registered as at start: created, then its status written (a second request, as a kubelet's): wait for both.
        await WeftChildren.WaitAsync(
            () => (again = Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None).GetAwaiter().GetResult()) is not null
                && again["status"]?["conditions"] is JsonArray,
            Deadline,
            () => $"the Node was not registered again, with its status, at the next beat: {again?.ToJsonString()} {progress.Text}");
        Assert.NotNull(again);
        Assert.NotEqual(Uid(registered), Uid(again));
        Assert.True(JsonNode.DeepEquals(registered["metadata"]!["labels"], again["metadata"]!["labels"]), again.ToJsonString());
        Assert.True(JsonNode.DeepEquals(registered["spec"]!["taints"], again["spec"]!["taints"]), again.ToJsonString());
        Assert.True(JsonNode.DeepEquals(registered["status"]!["addresses"], again["status"]!["addresses"]), again.ToJsonString());
        var ready = again["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!;
        Assert.Equal("True", ready["status"]!.GetValue<string>());
        Assert.Equal(1, progress.Text.Split('\n').Count(l => l == "Node weft-local was deleted through the API server: registering it again"));

        // In the same beat, not the next: a Lease owned by the deleted Node is the garbage collector's to delete.
        await WeftChildren.WaitAsync(
            () => LeaseOwner() == Uid(again),
            Deadline,
            () => $"the Lease is owned by {LeaseOwner()}, not by the Node registered again ({Uid(again)}) in the beat that registered it");

        // Deleted all the same (as a garbage collector would have), it is created again at the next renewal, this run's.
        await _client.CoordinationV1.DeleteNamespacedLeaseAsync(KubeletNode.Name, KubeletNode.LeaseNamespace);
        time.Advance(KubeletNode.RenewInterval);
        await WeftChildren.WaitAsync(
            () => LeaseOwner() == Uid(again),
            Deadline,
            () => "the Lease deleted was not created again at the next renewal, owned by the Node");
        Assert.Equal(KubeletNode.Name, (await Nodes.GetAsync(_client, null, KubeletNode.Name, CancellationToken.None))?["metadata"]?["name"]?.GetValue<string>());
        Assert.Equal(RunIdentity.Current, await HolderAsync());

        static string? Uid(JsonObject node) => node["metadata"]?["uid"]?.GetValue<string>();
        string? LeaseOwner() => Leases.GetAsync(_client, KubeletNode.LeaseNamespace, KubeletNode.Name, CancellationToken.None).GetAwaiter().GetResult()?["metadata"]?["ownerReferences"]?[0]?["uid"]?.GetValue<string>();
    }

    private static KubeResource Nodes => KubeResource.Nodes;

    private static KubeResource Leases => KubeResource.Leases;

    private k8s.Kubernetes Client(params DelegatingHandler[] handlers) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))), handlers);

    private Task<KubeletNode> ClaimAsync(string? run = null, TimeProvider? time = null, TextWriter? progress = null) =>
        KubeletNode.ClaimAsync(_client, "127.0.0.1", progress, CancellationToken.None, time, run);

    private async Task ClaimAndReleaseAsync(string? run = null) => await (await ClaimAsync(run)).DisposeAsync();

    private async Task<string?> HolderAsync() =>
        (await KubeResource.Leases.GetAsync(_client, KubeletNode.LeaseNamespace, KubeletNode.Name, CancellationToken.None))?["metadata"]?["annotations"]?[KubeletNode.RunAnnotation]?.GetValue<string>();

    private async Task WriteLeaseAsync(string holder, DateTimeOffset renewed)
    {
        var lease = new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject
            {
                ["name"] = KubeletNode.Name,
                ["namespace"] = KubeletNode.LeaseNamespace,
                ["annotations"] = new JsonObject { [KubeletNode.RunAnnotation] = holder },
            },
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = KubeletNode.Name,
                ["leaseDurationSeconds"] = KubeletNode.LeaseDurationSeconds,
                ["renewTime"] = renewed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        await KubeResource.Leases.CreateOrReplaceAsync(_client, lease, keep: null, CancellationToken.None);
    }

    /// <summary>Completes for all once <c>count</c> have arrived (or fails after the deadline).</summary>
    private sealed class Rendezvous(int count)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref _arrived) == count)
            {
                _all.TrySetResult();
            }

            return _all.Task.WaitAsync(Deadline);
        }
    }

    /// <summary>Holds the answer to the client's first read of the node's Lease until every client's has come.</summary>
    private sealed class FirstLeaseReadTogether(Rendezvous rendezvous) : DelegatingHandler
    {
        private int _reads;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith($"/leases/{KubeletNode.Name}", StringComparison.Ordinal)
                && Interlocked.Increment(ref _reads) == 1)
            {
                await rendezvous.ArriveAsync();
            }

            return response;
        }
    }

    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }
    }
}
