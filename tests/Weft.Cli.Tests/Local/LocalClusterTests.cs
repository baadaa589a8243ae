using System.Diagnostics;
using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.ControlPlane.Objects;
using Weft.Routing;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Local;

/// <summary>
/// The local cluster stopping pods as a kubelet does: each with its own grace period (<c>terminationGracePeriodSeconds</c>,
/// 30 s when unset), SIGTERM then SIGKILL once it has run out; a terminating pod holds up nothing else; weft up's own stop
/// caps every grace period (<see cref="LocalPod.ShutdownGracePeriod"/>). The apps are real processes that ignore SIGTERM
/// and write their pid to a file.
/// </summary>
public sealed class LocalClusterTests : IAsyncDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("weft-cluster-").FullName;
    private readonly ObjectStore _store = new();
    private readonly AddressPlan _addresses = new(61);
    private readonly LocalCluster _cluster;
    private bool _disposed;

    public LocalClusterTests()
    {
        // An app that says its pid and, when it gets SIGTERM, writes {pod}.term and goes on: only a SIGKILL stops it.
        var app = $"sh -c \"trap 'echo term > {_run}/{{pod}}.term' TERM; echo $$ > {_run}/{{pod}}.pid; while :; do sleep 0.1; done\"";
        _cluster = new LocalCluster(_store, _addresses, new LocalClusterOptions
        {
            ControlPlane = new Uri("http://127.0.0.1:1"),
            LogDirectory = RunDirectories.Logs(_run),
            Images = new ImageMap([new("stubborn", app)]),
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await _cluster.DisposeAsync();
        }

        _addresses.Dispose();
        Directory.Delete(_run, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_scaled_down_pod_that_ignores_SIGTERM_is_killed_when_its_termination_grace_period_has_passed(int grace)
    {
        _cluster.Start();
        Apply(Web(replicas: 1, grace));
        var pod = await OnePodAsync();
        var pid = await PidOfAsync(pod);

        var stopping = Stopwatch.StartNew();
        Apply(Web(replicas: 0, grace));

        // Killed once its grace period has passed (seen gone no sooner than the kill), not waited for until weft up stops.
        await Eventually.TrueAsync(() => !ProcessWatch.IsRunning(pid), $"the app killed once its grace period of {grace} s has passed", TimeSpan.FromSeconds(10));
        Assert.True(stopping.Elapsed >= TimeSpan.FromSeconds(grace * 0.9), $"killed after {stopping.Elapsed.TotalSeconds:0.0} s, before its grace period of {grace} s");

        // SIGTERM first, unless the grace period is 0: then SIGKILL at once, as a kubelet does (before, every pod got
        // SIGTERM and 3 s). A signal, not a time: a loaded machine cannot make this pass or fail.
        Assert.Equal(grace > 0, File.Exists(Path.Combine(_run, $"{pod}.term")));
    }

    [Fact]
    public async Task A_pod_replaced_by_a_rollout_runs_through_its_grace_period_while_its_replacement_starts_and_weft_ups_stop_cuts_it_short()
    {
        _cluster.Start();
        Apply(Web(replicas: 1, grace: 8));
        var old = await OnePodAsync();
        var oldPid = await PidOfAsync(old);

        var stopping = Stopwatch.StartNew();
        Apply(Web(replicas: 1, grace: 8, version: "v2"));
        var newPid = await PidOfAsync(await OnePodAsync(other: old));
        Assert.True(ProcessWatch.IsRunning(oldPid), "the old pod stopped before its replacement started");

        // Still running past the 3 s every pod had, within its own 8 s.
        await ProcessWatch.WaitUntilAsync(stopping, TimeSpan.FromSeconds(4));
        Assert.True(ProcessWatch.IsRunning(oldPid), "the old pod killed before its grace period of 8 s");

        // weft up stopping: the grace period still running (4 s more) is capped too, as the new pod's (8 s) is.
        var shutdown = Stopwatch.StartNew();
        _disposed = true;
        await _cluster.DisposeAsync();
        Assert.False(ProcessWatch.IsRunning(oldPid) || ProcessWatch.IsRunning(newPid), "an app outlived weft up's stop");
        Assert.True(shutdown.Elapsed < LocalPod.ShutdownGracePeriod + TimeSpan.FromSeconds(3.5), $"weft up's stop took {shutdown.Elapsed.TotalSeconds:0.0} s");
    }

    private void Apply(Deployment deployment) => _store.Replace("test", [deployment]);

    private static Deployment Web(int replicas, int grace, string version = "v1") => new()
    {
        ApiVersion = "apps/v1",
        Metadata = new ObjectMeta { Name = "web", Namespace = "ns" },
        Replicas = replicas,
        SelectorMatchLabels = new Dictionary<string, string> { ["app"] = "web" },
        Template = new PodTemplate
        {
            Labels = new Dictionary<string, string> { ["app"] = "web", [MeshLevels.Key] = MeshLevels.Off },
            Spec = new PodSpec
            {
                TerminationGracePeriodSeconds = grace,
                Containers = [new Container { Name = "app", Image = "stubborn", Env = [new EnvVar { Name = "VERSION", Value = version }] }],
            },
        },
    };

    /// <summary>The name of the one pod the cluster runs, once it runs one (other than <paramref name="other"/>).</summary>
    private async Task<string> OnePodAsync(string? other = null) => (await Eventually.ValueAsync(
        () => Task.FromResult(_cluster.Pods is [var pod] ? pod.Name : null),
        name => name is not null && name != other,
        other is null ? "a pod" : $"a new pod in place of {other}"))!;

    private async Task<int> PidOfAsync(string pod)
    {
        var file = Path.Combine(_run, $"{pod}.pid");
        return await Eventually.ValueAsync(
            () => Task.FromResult(File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : 0),
            pid => pid > 0,
            $"pod {pod}'s app started",
            TimeSpan.FromSeconds(30));
    }
}
