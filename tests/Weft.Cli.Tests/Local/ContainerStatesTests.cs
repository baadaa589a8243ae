using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Routing;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Local;

public sealed class ContainerStatesTests
{
    /// <summary>
    /// A container whose process has exited reads as exited with that exit code at once, as a kubelet reports it, not
    /// only once the pod's supervisor has looked (its next look is up to a second away; until then a first exit read as
    /// a container still being created: waiting, ContainerCreating, in the Pod's status). The supervisor is held in its
    /// wait between looks by a clock whose timers never fire, so the exit happens while it is not looking.
    /// </summary>
    [Fact]
    public async Task A_container_that_has_exited_reads_as_exited_with_its_code_before_the_supervisor_looks()
    {
        var run = Directory.CreateTempSubdirectory("weft-states-").FullName;
        var time = new HeldTimers();
        var go = Path.Combine(run, "go");
        try
        {
            var options = new LocalClusterOptions
            {
                ControlPlane = new Uri("http://127.0.0.1:1"),
                LogDirectory = RunDirectories.Logs(run),
                Images = new ImageMap([new("app", $"sh -c 'while [ ! -e {go} ]; do sleep 0.05; done; exit 3'")]),
                Time = time,
            };
            await using var pod = new LocalPod(
                new Deployment
                {
                    ApiVersion = "apps/v1",
                    Metadata = new ObjectMeta { Name = "app", Namespace = "ns" },
                    Template = new PodTemplate { Spec = new PodSpec { Containers = [new Container { Name = "app", Image = "app" }] } },
                },
                "abc", "app-abc-1", System.Net.IPAddress.Parse("127.99.4.1"), options, new PodMeshSettings(MeshLevels.Off, Weft.Proxy.Security.MtlsMode.Strict));
            Assert.True(pod.Start(), pod.Problem);

            // The app runs and the supervisor waits for its next look (a timer it made, which never fires).
            await Eventually.TrueAsync(() => pod.ContainerStates() is [{ Running: true }] && time.Timers > 0, "the app running and the supervisor waiting");
            await File.WriteAllTextAsync(go, "");
            await Eventually.TrueAsync(() => pod.ContainerStates() is [{ Running: false }], "the app exited");

            var state = Assert.Single(pod.ContainerStates());
            Assert.Equal((false, 0, 3), (state.Running, state.Restarts, state.LastExitCode));
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    /// <summary>The system's clock, with timers that never fire: whatever waits on one waits until it is cancelled (counted: the finite ones).</summary>
    private sealed class HeldTimers : TimeProvider
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // A wait (the supervisor's between looks), not a deadline made for later (the pod's kill, infinite until it stops).
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Increment(ref _timers);
            }

            return new Held();
        }

        private sealed class Held : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
