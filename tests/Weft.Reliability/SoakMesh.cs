using System.Globalization;
using System.Text;
using Weft.Cli.Local;
using Weft.Conformance.Tests;
using Weft.Tests.Shared;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// <c>weft up</c> on a copy of <c>mesh/</c> (pods as processes on 127.x addresses), as a user runs it: the state it
/// publishes, the client sidecar's proxy address, each pod's processes (found by their environment), and the route file
/// to rewrite. Disposing stops weft up and every process it started.
/// </summary>
internal sealed class SoakMesh : IAsyncDisposable
{
    private readonly WeftChildren _children;
    private readonly string _work;
    private System.Diagnostics.Process? _up;
    private StringBuilder? _upOutput;

    private SoakMesh(ITestOutputHelper output)
    {
        _children = new WeftChildren(output);
        _work = Directory.CreateTempSubdirectory("weft-soak-").FullName;
        Directory.CreateDirectory(Manifests);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "mesh")))
        {
            File.Copy(file, Path.Combine(Manifests, Path.GetFileName(file)));
        }
    }

    public string Manifests => Path.Combine(_work, "mesh");

    public string RouteFile => Path.Combine(Manifests, "route.yaml");

    private string ReadyFile => Path.Combine(_work, "ready.json");

    public MeshState State { get; private set; } = null!;

    public int UpPid => _up!.Id;

    public bool UpRunning => _up is { HasExited: false };

    public PodState Client => State.Pods.Single(p => p.Deployment == "client");

    /// <summary>The client pod's sidecar outbound listener: the HTTP proxy its app uses.</summary>
    public Uri ClientProxy => new($"http://{Client.IP}:{Client.Sidecar.Outbound.ToString(CultureInfo.InvariantCulture)}");

    public static Uri CartUrl { get; } = new("http://cart.soak/");

    public IEnumerable<PodState> Pods(string deployment) => State.Pods.Where(p => p.Deployment == deployment);

    /// <summary>Starts weft up with <paramref name="extraArgs"/> and waits until every pod is ready.</summary>
    public static async Task<SoakMesh> StartAsync(ITestOutputHelper output, params string[] extraArgs)
    {
        var mesh = new SoakMesh(output);
        try
        {
            mesh._up = mesh._children.Start(["up", mesh.Manifests, "--ready-file", mesh.ReadyFile, "--isolation", "process", .. extraArgs], out var upOutput);
            mesh._upOutput = upOutput;
            await WeftChildren.WaitAsync(() => File.Exists(mesh.ReadyFile) || mesh._up.HasExited, TimeSpan.FromSeconds(180), () => upOutput.ToString());
            Assert.False(mesh._up.HasExited, upOutput.ToString());
            mesh.State = StateFile.TryRead(mesh.ReadyFile) ?? throw new InvalidOperationException("no state in " + mesh.ReadyFile);
            Assert.True(mesh.State.Ready, upOutput.ToString());
            await mesh.WarmUpAsync();
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Until 20 requests in a row succeed through the client's sidecar: its subscription to cart made, connections to
    /// every cart pod opened and the code paths compiled, so the scenarios measure a running mesh, not its first second.
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new System.Net.WebProxy(ClientProxy), UseProxy = true }) { Timeout = TimeSpan.FromSeconds(10) };
        var inARow = 0;
        await Weft.Tests.Shared.Eventually.ValueAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(CartUrl);
                    return inARow = response.IsSuccessStatusCode ? inARow + 1 : 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return inARow = 0;
                }
            },
            n => n >= 20,
            "20 requests in a row to cart through the client's sidecar",
            TimeSpan.FromSeconds(90));
    }

    /// <summary>The state weft up publishes now (pods restarted, readiness).</summary>
    public MeshState Reread() => State = StateFile.TryRead(ReadyFile) ?? State;

    public string UpOutput()
    {
        lock (_upOutput!)
        {
            return _upOutput.ToString();
        }
    }

    /// <summary>
    /// The live processes of a pod started by this weft up: its sidecar (<c>weft-proxy</c> or <c>weft proxy</c>) and its app, told apart by
    /// their command lines; found by the <c>POD_NAME</c> and <c>WEFT_PARENT_PID</c> in their environment.
    /// </summary>
    public IReadOnlyList<PodProcess> ProcessesOf(PodState pod) =>
    [
        .. WeftChildProcesses.Of(UpPid)
            .Where(c => c.Environment.Contains($"POD_NAME={pod.Name}"))
            .Select(c => new PodProcess(c.Pid, c.IsSidecar ? "sidecar" : "app")),
    ];

    /// <summary>
    /// The live control plane process of <c>weft up --control-plane process</c> (<c>weft control-plane</c>, a child of this
    /// weft up), or null while there is none (killed, not yet restarted).
    /// </summary>
    public int? ControlPlanePid() =>
        WeftChildProcesses.Of(UpPid).FirstOrDefault(c => c.CommandLine.Contains("control-plane") && !c.Exited)?.Pid;

    /// <summary>
    /// The discovery streams the control plane holds (proxies' destination subscriptions and inbound streams), read as
    /// <c>weft status</c> reads them (its admin credential, over TLS to the mesh root); null when it does not answer.
    /// </summary>
    public async Task<int?> ControlPlaneStreamsAsync()
    {
        var state = Reread();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var (roots, credentials) = await ControlPlaneAdmin.ReadAsync(state.ControlPlaneCa!, state.AdminCredential!, timeout.Token);
            var reply = await Weft.Discovery.DiscoveryClient.GetStatusAsync(new Uri(state.ControlPlane!), timeout.Token, roots, credentials);
            return reply.Subscriptions.Count + reply.InboundSubscriptions.Count;
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>Resident memory of a process in MB (VmRSS), or null when it is gone.</summary>
    public static double? RssMegabytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>GET on a pod sidecar's admin port.</summary>
    public static async Task<string> AdminAsync(PodState pod, string path)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync(new Uri($"http://{pod.IP}:{pod.Sidecar.Admin.ToString(CultureInfo.InvariantCulture)}{path}"));
    }

    /// <summary>The sum of a Prometheus counter's series whose labels contain every one of <paramref name="labels"/> (<c>verdict="retry"</c>).</summary>
    public static double Counter(string metrics, string name, params string[] labels) => metrics.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync()
    {
        await _children.DisposeAsync();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A log still being written by a dying child: left in /tmp.
        }
    }
}

/// <summary>One process of a pod: <c>sidecar</c> or <c>app</c>.</summary>
internal sealed record PodProcess(int Pid, string Role);
