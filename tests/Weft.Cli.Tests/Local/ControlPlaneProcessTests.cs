using System.Diagnostics;
using System.Globalization;
using Weft.Cli.Commands;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Local;

/// <summary>
/// <c>weft up --control-plane process</c> and weft up as a supervisor, on a real local mesh (one echo pod and its
/// sidecar, processes on loopback addresses): a killed control plane comes back on its address, and a sidecar that stops
/// answering is restarted.
/// </summary>
public sealed class ControlPlaneProcessTests : IAsyncLifetime
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
                - name: web
                  image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1
                  args: [--port=8080]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: shop
        spec:
          selector:
            app: web
          ports:
            - port: 80
              targetPort: 8080
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-cp-process-").FullName;
    private readonly StringWriter _progressText = new();
    private TextWriter _progress = null!;

    private string ManifestDirectory => Path.Combine(_work, "manifests");

    public Task InitializeAsync()
    {
        _progress = TextWriter.Synchronized(_progressText);
        Directory.CreateDirectory(ManifestDirectory);
        File.WriteAllText(Path.Combine(ManifestDirectory, "shop.yaml"), Manifests);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_work, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<LocalMesh> StartAsync(LocalMeshOptions options)
    {
        var mesh = await LocalMesh.StartAsync(ManifestDirectory, options with { RunDirectory = Path.Combine(_work, "run"), Progress = _progress }, CancellationToken.None);
        try
        {
            await mesh.WaitUntilReadyAsync(Deadline, CancellationToken.None);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private string Progress()
    {
        lock (_progress)
        {
            return _progressText.ToString();
        }
    }

    [Fact]
    public async Task A_killed_control_plane_process_is_restarted_on_the_same_address_and_status_and_sidecar_subscriptions_come_back()
    {
        await using var mesh = await StartAsync(new LocalMeshOptions { ControlPlaneProcess = true });
        var child = mesh.ControlPlaneProcess!;
        var address = mesh.ControlPlaneAddress;
        var first = child.Pid;
        Assert.NotEqual(Environment.ProcessId, first);
        var pod = mesh.Cluster.Pods.Single();
        // The sidecar authenticated with its token and holds its inbound policy stream.
        await Eventually.ValueAsync(() => StatusAsync(mesh), s => s.Contains(pod.Key, StringComparison.Ordinal), "the sidecar's inbound stream on the child control plane", Deadline);

        Process.GetProcessById(first).Kill(); // SIGKILL: no goodbye

        await Eventually.TrueAsync(() => child.Restarts >= 1 && child.Pid != first, "the control plane restarted", Deadline);
        Assert.Equal(address, mesh.ControlPlaneAddress);
        Assert.False(Directory.Exists($"/proc/{first.ToString(CultureInfo.InvariantCulture)}"), "the killed control plane is still there");
        // The same mesh root (the sidecar still trusts it) and token key (its token still verifies): it resubscribes.
        await Eventually.ValueAsync(() => StatusAsync(mesh), s => s.Contains(pod.Key, StringComparison.Ordinal), "the sidecar's inbound stream back on the restarted control plane", Deadline);
        var weft = WeftLauncher.Current().Command(["status", "--state", mesh.StatePath]);
        var status = await CommandRun.RunAsync(CommandRun.Which(weft.FileName), weft.Arguments);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains(pod.Key, status.Stdout, StringComparison.Ordinal);
        Assert.Contains($"control plane (pid {first.ToString(CultureInfo.InvariantCulture)}) exited", Progress(), StringComparison.Ordinal);
        Assert.Contains($"control plane restarted (pid {child.Pid.ToString(CultureInfo.InvariantCulture)})", Progress(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sidecar_not_live_past_the_deadline_is_restarted_and_its_pod_is_ready_again()
    {
        await using var mesh = await StartAsync(new LocalMeshOptions { SidecarUnreadyDeadline = TimeSpan.FromSeconds(3) });
        var pod = mesh.Cluster.Pods.Single();
        var stopped = SidecarPid(pod);
        try
        {
            // SIGSTOP: the process is there but its admin port answers nothing (as a wedged sidecar's).
            await CommandRun.RunCheckedAsync(CommandRun.Which("kill"), "-STOP", stopped.ToString(CultureInfo.InvariantCulture));
            await Eventually.TrueAsync(() => !pod.Ready, "the pod unready once its sidecar stopped answering", Deadline);

            await Eventually.TrueAsync(() => pod.Ready && SidecarPidOrNull(pod) is { } pid && pid != stopped, "a new sidecar and the pod ready again", Deadline);
            Assert.False(Directory.Exists($"/proc/{stopped.ToString(CultureInfo.InvariantCulture)}"), "the stopped sidecar was not killed");
        }
        finally
        {
            _ = await CommandRun.RunAsync(CommandRun.Which("kill"), ["-CONT", stopped.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    /// <summary>What <c>weft status</c> prints of the running control plane (routes, subscriptions), or its error.</summary>
    private static async Task<string> StatusAsync(LocalMesh mesh)
    {
        using var text = new StringWriter();
        await StatusCommand.WriteControlPlaneStatusAsync(await ControlPlaneAdmin.ForMeshAsync("status", mesh.State(), text, CancellationToken.None), text, CancellationToken.None);
        return text.ToString();
    }

    private static int SidecarPid(LocalPod pod) => SidecarPidOrNull(pod) ?? throw new InvalidOperationException($"no sidecar process of {pod.Key} found");

    /// <summary>The pod's live sidecar (<c>weft proxy</c>) started by this test process: found by its environment and command line.</summary>
    private static int? SidecarPidOrNull(LocalPod pod) =>
        WeftChildProcesses.Of(Environment.ProcessId)
            .FirstOrDefault(c => c.Environment.Contains($"POD_NAME={pod.Name}") && c.IsSidecar && !c.Exited)?.Pid;
}
