using System.Text.Json.Nodes;
using k8s;
using Weft.Cli.Local.Api;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// One weft up per API server: the local node (<see cref="KubeletNode"/>) is held through its Lease, and a second run is
/// refused while the first holds it, before it writes anything; a Lease that expired, or whose run on this machine was
/// killed, is taken over.
/// </summary>
public sealed class KubeletNodeTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-node-").FullName;
    private KubeApiServer _api = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8" });
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"))));
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
        await using (var node = await KubeletNode.StartAsync(_client, "127.0.0.1", progress: null, CancellationToken.None, run: first))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => KubeletNode.EnsureFreeAsync(_client, CancellationToken.None));
            Assert.StartsWith("another weft up runs against this API server: the Lease kube-node-lease/weft-local", refused.Message, StringComparison.Ordinal);
            Assert.Contains($"by {first};", refused.Message, StringComparison.Ordinal);

            await KubeletNode.EnsureFreeAsync(_client, CancellationToken.None, run: first); // its own
        }

        await KubeletNode.EnsureFreeAsync(_client, CancellationToken.None); // stopped cleanly: its Lease is gone
    }

    [Fact]
    public async Task A_lease_left_by_a_killed_run_on_this_machine_or_expired_is_taken_over()
    {
        // A run on this machine whose process is gone: this pid, but another start time, is another process that had the
        // pid before (the kernel reuses pids).
        await WriteLeaseAsync(RunIdentity.Of(Environment.MachineName, Environment.ProcessId, 1), DateTimeOffset.UtcNow);
        await KubeletNode.EnsureFreeAsync(_client, CancellationToken.None);

        // A pid no process has (above the kernel's pid_max).
        await WriteLeaseAsync(RunIdentity.Of(Environment.MachineName, int.MaxValue, 1), DateTimeOffset.UtcNow);
        await KubeletNode.EnsureFreeAsync(_client, CancellationToken.None);

        // Held by a live run elsewhere, but not renewed for longer than its duration.
        await WriteLeaseAsync(RunIdentity.Of("elsewhere", 4242, 1), DateTimeOffset.UtcNow - TimeSpan.FromSeconds(KubeletNode.LeaseDurationSeconds + 1));
        await KubeletNode.EnsureFreeAsync(_client, CancellationToken.None);

        // This process, by its real start: alive, so held.
        await WriteLeaseAsync(RunIdentity.Current, DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<InvalidOperationException>(() => KubeletNode.EnsureFreeAsync(_client, CancellationToken.None, run: "another"));
    }

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
}
