using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Cli.Commands;
using Weft.Cli.Local.Netns;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;
using Weft.Echo;
using Weft.Proxy;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// One pod of the local cluster, as a kubelet runs it: its sandbox prepared (<see cref="PodSandbox"/>: in network
/// namespace isolation its namespace and capture rules), then the sidecar (<c>weft proxy</c>) and one process per
/// container, restarted with back-off when they exit, and a readiness probe: Ready when the sidecar's admin
/// <c>/ready</c> answers 200 and every port the app serves accepts TCP connections from inside the pod.
/// </summary>
/// <remarks>
/// A pod with a sidecar is first given it by the injector (<see cref="SidecarInjector"/>, as the webhook does in a
/// cluster: <see cref="Json"/>). In a network namespace the pod then runs that shape: the init container's and the
/// sidecar's commands, environment and identity volume come from the injected containers. In process isolation,
/// which cannot capture, the sidecar is started with the tunnel listeners instead.
/// </remarks>
internal sealed class LocalPod : IAsyncDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Failed readiness probes in a row that make a Ready pod not Ready: the kubelet's default <c>failureThreshold</c>, so
    /// that one probe a busy node answers late does not take the pod's endpoints away (one success makes a pod Ready).
    /// </summary>
    private const int ReadinessFailureThreshold = 3;

    /// <summary>
    /// The grace period of a sidecar restarted because it stayed not live (a kubelet's liveness restart); a pod that
    /// stops has its own (<see cref="StopAsync"/>).
    /// </summary>
    private static readonly TimeSpan SidecarRestartGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The most a pod's grace period runs when weft up itself stops (Ctrl-C, SIGTERM), as a kubelet's graceful node
    /// shutdown caps each pod's with <c>shutdownGracePeriod</c>: pods stop together, so weft up stops within it (a pod
    /// already terminating with a longer one is killed then too).
    /// </summary>
    internal static readonly TimeSpan ShutdownGracePeriod = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(30);

    private readonly LocalClusterOptions _options;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the pod's grace period has run out: what still runs is killed (under <see cref="_graceGate"/>).</summary>
    private readonly CancellationTokenSource _killing;
    private readonly Lock _graceGate = new();
    private DateTimeOffset? _killAt;
    private Task? _stop;
    private bool _stopped;
    private readonly List<ContainerCommand> _commands = [];
    private readonly List<string> _containerNames = [];
    private readonly List<ChildProcess?> _processes = [];

    /// <summary>Per process (as <see cref="_processes"/>): its restarts, when it last started, its last exit code (under <see cref="_containerGate"/>: the supervisor writes them, the API record reads them).</summary>
    private readonly Lock _containerGate = new();
    private int[] _restarts = [];
    private DateTimeOffset?[] _startedAt = [];
    private int?[] _lastExitCodes = [];
    private readonly HttpClient _probe;
    private readonly PodSandbox _sandbox;
    private ContainerCommand? _init;
    private DateTimeOffset _tokenRenewAt = DateTimeOffset.MaxValue;
    private Dictionary<string, string>? _sidecarEnvironment;
    private Task _supervisor = Task.CompletedTask;
    private volatile bool _ready;
    private volatile string? _problem;

    public LocalPod(Deployment deployment, string templateHash, string name, IPAddress ip, LocalClusterOptions options, PodMeshSettings settings)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _options = options;
        DeploymentKey = deployment.Key;
        DeploymentName = deployment.Name;
        TemplateHash = templateHash;
        IP = ip;
        var pod = DeploymentPod.Build(deployment, templateHash, name, ip, settings, options.Time.GetUtcNow());
        Object = pod with
        {
            Spec = EchoCertificates.Provide(pod.Spec, deployment.Template.Annotations,
                CertificateDirectory, deployment.Namespace, name,
                options.ManifestDirectory),
        };
        AppPorts = AppPortsOf(Object.Spec);
        (Json, InjectionReason) = Settings.HasSidecar ? Inject(PlainJson(), options) : (PlainJson(), "no sidecar");
        _sandbox = options.Node is { } node ? new NetnsSandbox(node, deployment.Namespace, name, ip, options) : new ProcessSandbox(ip);
        _killing = new CancellationTokenSource(Timeout.InfiniteTimeSpan, options.Time);
        _probe = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = ProbeTimeout };
    }

    /// <summary>Mesh level and mTLS mode (labels/annotations <c>weft.dev/mesh</c>, <c>weft.dev/mtls</c>).</summary>
    public PodMeshSettings Settings { get; }

    /// <summary>The Pod object as the API server would show it (with its IP).</summary>
    public Pod Object { get; }

    /// <summary>The Pod as it is created in an API server: its template's containers, and the injector's when it has a sidecar.</summary>
    public JsonObject Json { get; }

    /// <summary>What the injector said of this pod.</summary>
    public string InjectionReason { get; }

    public string Namespace => Object.Namespace;

    public string Name => Object.Name;

    public string Key => Object.Key;

    /// <summary>"namespace/name" of the owning Deployment.</summary>
    public string DeploymentKey { get; }

    public string DeploymentName { get; }

    public string TemplateHash { get; }

    public IPAddress IP { get; }

    /// <summary>The ports the readiness probe checks.</summary>
    public IReadOnlyList<int> AppPorts { get; }

    /// <summary>The pod's network namespace (<c>ip netns</c> name), or null in process isolation.</summary>
    public string? Netns => _sandbox.NetnsName;

    public bool Ready => _ready;

    /// <summary>Why the pod is not running or not ready, when it is not.</summary>
    public string? Problem => _problem;

    /// <summary>Raised when <see cref="Ready"/> or <see cref="Problem"/> changes.</summary>
    public event Action<LocalPod>? StateChanged;

    /// <summary>
    /// Raised when what <see cref="ContainerStates"/> reports changes: a container started, exited, or was restarted. A
    /// kubelet writes the pod's status then, ready or not (<c>kubectl get pods</c> shows RESTARTS and the waiting reason).
    /// </summary>
    public event Action<LocalPod>? ContainersChanged;

    /// <summary>
    /// Resolves the containers' commands, then prepares the sandbox and starts the sidecar and the apps in the background.
    /// Returns false (with <see cref="Problem"/>) if the pod cannot run at all.
    /// </summary>
    public bool Start()
    {
        if (Settings.HasSidecar && AppPorts.FirstOrDefault(SidecarPorts.Default.Contains) is int taken and not 0)
        {
            SetState(false, $"container port {taken} is the sidecar's {SidecarPorts.Default.NameOf(taken)} port "
                + $"(weft-proxy listens on {SidecarPorts.Default.Admin}, {SidecarPorts.Default.Outbound} and {SidecarPorts.Default.Inbound}): use another port");
            return false;
        }

        foreach (var container in Object.Spec.Containers)
        {
            var (command, error) = _options.Images.Resolve(container, Namespace, Name, IP.ToString(), _options.Weft);
            if (command is null)
            {
                SetState(false, error);
                return false;
            }

            _commands.Add(command);
            _containerNames.Add(container.Name);
        }

        if (Settings.HasSidecar && _sandbox is NetnsSandbox)
        {
            // The injected shape, as a kubelet would run it.
            var withStatus = Json.DeepClone().AsObject();
            withStatus["status"] = new JsonObject { ["podIP"] = IP.ToString() };
            try
            {
                var sidecar = InjectedContainer.Find(Json, "containers", WeftInstallation.SidecarContainerName)
                    ?? throw new InvalidOperationException($"the injector gave the pod no {WeftInstallation.SidecarContainerName} container ({InjectionReason})");
                var init = InjectedContainer.Find(Json, "initContainers", WeftInstallation.InitContainerName)
                    ?? throw new InvalidOperationException($"the injector gave the pod no {WeftInstallation.InitContainerName} container ({InjectionReason})");
                _sidecarEnvironment = InjectedContainer.Environment(sidecar, withStatus);
                _commands.Insert(0, InjectedContainer.Command(sidecar, _sidecarEnvironment, VolumeDirectory, _options.Weft));
                _init = InjectedContainer.Command(init, InjectedContainer.Environment(init, withStatus), VolumeDirectory, _options.Weft);
            }
            catch (InvalidOperationException e)
            {
                SetState(false, $"injected containers: {e.Message}");
                return false;
            }

            _containerNames.Insert(0, WeftInstallation.SidecarContainerName);
        }
        else if (Settings.HasSidecar)
        {
            _commands.Insert(0, _options.Weft.Proxy(
            [
                ProxyFlags.Pod, $"{Namespace}/{Name}", ProxyFlags.PodIp, IP.ToString(), ProxyFlags.Workload, DeploymentName,
                ProxyFlags.ServiceAccount, Object.Spec.ServiceAccountName, ProxyFlags.ControlPlane, _options.ControlPlane.ToString(),
                ProxyFlags.Mtls, Weft.Proxy.Security.MtlsModes.Name(Settings.Mtls),
                ProxyFlags.Level, Settings.Level,
                .. Settings.Tracing.SidecarArguments(),
                .. _options.Hosts.SidecarArguments(),
                .. _sandbox.SidecarArguments,
                .. _options.Record?.SidecarArguments(this) ?? [],
                .. _options.IssueToken is null ? [] : (string[])[ProxyFlags.TokenFile, IdentityFile(SidecarInjector.TokenFileName)],
                .. _options.ControlPlaneCa is null ? [] : (string[])[ProxyFlags.ControlPlaneCa, IdentityFile(SidecarInjector.TrustBundleFileName)],
            ]));
            _containerNames.Insert(0, WeftInstallation.SidecarContainerName);
        }

        for (var i = 0; i < _commands.Count; i++)
        {
            _commands[i] = _sandbox.Wrap(_commands[i], sidecar: i < SidecarCount);
            _processes.Add(null);
        }

        _restarts = new int[_processes.Count];
        _startedAt = new DateTimeOffset?[_processes.Count];
        _lastExitCodes = new int?[_processes.Count];

        _supervisor = Task.Run(() => RunAsync(_stopping.Token));
        return true;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // The sandbox first (network, init container); a failure is retried with back-off, as a kubelet retries a
        // pod sandbox or an init container, and shows as the pod's Problem meanwhile.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (_options.Record is { } record)
                {
                    // The Pod exists in the record before anything runs: the sidecar's credentials are bound to it.
                    await record.RegisterAsync(this, ct);
                }

                await _options.SandboxGate.WaitAsync(ct);
                try
                {
                    ProjectIdentityVolume();
                    await _sandbox.PrepareAsync(_init, ct);
                }
                finally
                {
                    _options.SandboxGate.Release();
                }

                break;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = BackOff(attempt);
                SetState(false, $"pod sandbox: {e.Message}; retrying in {delay.TotalSeconds:0}s");
                try
                {
                    await Task.Delay(delay, _options.Time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        for (var i = 0; i < _commands.Count; i++)
        {
            if (!TryStartProcess(i))
            {
                return;
            }
        }

        try
        {
            await SuperviseAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped: not a failure to report ("pod …: A task was canceled." at every Ctrl-C).
        }
    }

    /// <summary>CrashLoopBackOff: 1 s, 2 s, 4 s … up to 30 s.</summary>
    private static TimeSpan BackOff(int attempt) => TimeSpan.FromSeconds(Math.Min(MaxBackOff.TotalSeconds, Math.Pow(2, attempt)));

    /// <summary>
    /// Stops the pod as a kubelet stops a terminating pod: SIGTERM to the apps, then, once they have exited, to the
    /// sidecar; whatever still runs <paramref name="grace"/> after this call is killed (0: everything at once, no
    /// SIGTERM). Then removes its sandbox. Called again (a shorter grace period: a delete with a shorter one, or weft up
    /// stopping), it brings the kill forward, never back, and returns the same stop. Every step runs whatever the one
    /// before it threw, so that one bad pod never leaves its network or processes behind.
    /// </summary>
    public Task StopAsync(TimeSpan grace)
    {
        lock (_graceGate)
        {
            ShortenGrace(grace);
            return _stop ??= Task.Run(StopOnceAsync);
        }
    }

    /// <summary>
    /// Brings the kill of a stopping pod forward to <paramref name="grace"/> from now, when that is sooner than it was
    /// (a kubelet honours a terminating pod's shortened grace period); nothing for a pod that has stopped.
    /// </summary>
    public void ShortenGrace(TimeSpan grace)
    {
        lock (_graceGate)
        {
            var at = _options.Time.GetUtcNow() + grace;
            if (_stopped || at >= _killAt)
            {
                return;
            }

            _killAt = at;
            if (grace <= TimeSpan.Zero)
            {
                // Its callbacks (the kills) run on the thread pool, not here under the gate.
                _ = _killing.CancelAsync();
            }
            else
            {
                _killing.CancelAfter(grace);
            }
        }
    }

    /// <summary>Stops the pod as weft up's own stop does: its grace period, at most <see cref="ShutdownGracePeriod"/>.</summary>
    public async ValueTask DisposeAsync() =>
        await StopAsync(Object.Spec.TerminationGracePeriod < ShutdownGracePeriod ? Object.Spec.TerminationGracePeriod : ShutdownGracePeriod);

    private async Task StopOnceAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _supervisor;
        }
        catch (Exception e)
        {
            _options.Progress?.WriteLine($"pod {Key}: {e.Message}");
        }

        try
        {
            await Task.WhenAll(_processes.Skip(SidecarCount).OfType<ChildProcess>().Select(p => p.StopAsync(_killing.Token)));
            if (Settings.HasSidecar && _processes.Count > 0 && _processes[0] is { } sidecar)
            {
                await sidecar.StopAsync(_killing.Token);
            }

            foreach (var process in _processes.OfType<ChildProcess>())
            {
                await process.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                await _sandbox.DisposeAsync();
            }
            finally
            {
                lock (_graceGate)
                {
                    _stopped = true;
                    _killing.Dispose();
                }

                _probe.Dispose();
                _stopping.Dispose();
                RemoveFiles();
            }
        }
    }

    /// <summary>
    /// Deletes what the local kubelet made for this pod alone, as a kubelet deletes a removed pod's volumes: its volume
    /// directory (the identity volume's token and trust bundle, or the links to the API server's) and the echo
    /// certificates and keys made for it. Its containers' logs stay, for the user to read after the pod or the run ended
    /// (<see cref="RunDirectories"/> keeps the last run's too). Nothing else reads these files once the pod's processes are gone.
    /// </summary>
    private void RemoveFiles()
    {
        try
        {
            if (Directory.Exists(PodVolumes))
            {
                Directory.Delete(PodVolumes, recursive: true);
            }

            if (Directory.Exists(CertificateDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(CertificateDirectory, $"{Namespace}_{Name}_*"))
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.Progress?.WriteLine($"pod {Key}: its files were not all deleted: {e.Message}");
        }
    }

    /// <summary>A TCP connection from the pod's own network, as its app would open it (in a network namespace: captured).</summary>
    public Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken ct) => _sandbox.ConnectAsync(endpoint, ct);

    /// <summary>The last lines of each process that has exited, for error messages.</summary>
    public string Diagnostics()
    {
        var lines = new List<string>();
        foreach (var process in _processes.OfType<ChildProcess>())
        {
            // The log's last lines either way: a running sidecar that is not ready says why there (its discovery, its
            // identity), and the log file may be gone by the time anyone reads this message.
            lines.Add($"  {process.Name}: {(process.HasExited ? $"exited with code {process.ExitCode}" : "running")}, log {process.LogPath}");
            lines.AddRange(process.Tail().TakeLast(5).Select(l => "    " + l));
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// The ports the app serves: declared container ports, and for the echo image the ports its flags (or defaults) name,
    /// without TLS ports it cannot serve for want of a certificate.
    /// </summary>
    public static IReadOnlyList<int> AppPortsOf(PodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var ports = new SortedSet<int>();
        foreach (var container in spec.Containers)
        {
            foreach (var port in container.Ports.Where(p => p.Protocol == "TCP"))
            {
                ports.Add(port.Port);
            }

            if (!ImageMap.IsEcho(container.Image))
            {
                continue;
            }

            EchoOptions echo;
            try
            {
                echo = EchoOptions.Parse(container.Args, _ => null);
            }
            catch (FormatException)
            {
                continue;
            }

            var tlsServed = echo.CertificatePath is { } crt && File.Exists(crt) && echo.KeyPath is { } key && File.Exists(key);
            foreach (var port in echo.HttpPorts.Concat(echo.GrpcPorts).Concat(echo.TcpPorts))
            {
                if (port != 0 && (tlsServed || !echo.TlsPorts.Contains(port)))
                {
                    ports.Add(port);
                }
            }
        }

        return [.. ports];
    }

    private int SidecarCount => Settings.HasSidecar ? 1 : 0;

    /// <summary>Where the local kubelet keeps volume <paramref name="volume"/> of this pod (there is no mount namespace: the paths are the host's).</summary>
    private string VolumeDirectory(string volume) => Path.Combine(PodVolumes, volume);

    /// <summary>The directory of this pod's volumes (<c>volumes/NAMESPACE_NAME</c> of the run directory).</summary>
    private string PodVolumes => Path.Combine(RunDirectories.Volumes(RunDirectory), $"{Namespace}_{Name}");

    /// <summary>The run directory: the one the logs directory is in.</summary>
    private string RunDirectory => Path.GetDirectoryName(_options.LogDirectory) ?? _options.LogDirectory;

    /// <summary>Where echo certificates made for pods are written (<see cref="EchoCertificates"/>), each file named after its pod.</summary>
    private string CertificateDirectory => RunDirectories.Certificates(RunDirectory);

    /// <summary>
    /// The injected identity volume's files, as a kubelet projects them: the record's (a token bound to the pod by the API
    /// server, the trust bundle) linked in, or else a token from the local control plane written there.
    /// </summary>
    private void ProjectIdentityVolume()
    {
        if (_init is null && _options.IssueToken is null && _options.ControlPlaneCa is null)
        {
            return;
        }

        var directory = VolumeDirectory(SidecarInjector.IdentityVolume);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var provided = _init is null ? new Dictionary<string, string>() : _options.Record?.ProjectedFiles(this) ?? new Dictionary<string, string>();
        foreach (var (file, target) in provided)
        {
            var link = Path.Combine(directory, file);
            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null)
            {
                File.Delete(link);
            }

            File.CreateSymbolicLink(link, target);
        }

        if (!provided.ContainsKey(SidecarInjector.TrustBundleFileName) && _options.ControlPlaneCa is { } ca)
        {
            IdentityFiles.WriteAtomically(IdentityFile(SidecarInjector.TrustBundleFileName), File.ReadAllBytes(ca), secret: false, overwrite: true);
        }

        if (!provided.ContainsKey(SidecarInjector.TokenFileName))
        {
            WriteToken();
        }
    }

    /// <summary>A file of the sidecar's identity volume (the token, the trust bundle), in both isolations.</summary>
    private string IdentityFile(string name) => Path.Combine(VolumeDirectory(SidecarInjector.IdentityVolume), name);

    /// <summary>
    /// Writes the sidecar's workload token (bound to this pod's name and uid, short-lived), as the kubelet writes a
    /// projected token, and when to write the next: at 80% of its lifetime, as the kubelet renews one. The sidecar
    /// rereads the file on every discovery call.
    /// </summary>
    private void WriteToken()
    {
        if (_options.IssueToken is not { } issue)
        {
            return;
        }

        var token = issue(Namespace, Name, Object.Metadata.Uid ?? Key, Object.Spec.ServiceAccountName);
        IdentityFiles.WriteAtomically(IdentityFile(SidecarInjector.TokenFileName), System.Text.Encoding.ASCII.GetBytes(token), secret: true, overwrite: true);
        _tokenRenewAt = _options.Time.GetUtcNow() + (_options.TokenLifetime * 0.8);
    }

    /// <summary>
    /// The pod after the injector, with the level and mTLS mode this pod resolved (<see cref="PodMeshSettings"/>) written
    /// on it, so that the injector decides as the local cluster did.
    /// </summary>
    private static (JsonObject Pod, string Reason) Inject(JsonObject pod, LocalClusterOptions options)
    {
        var injector = new InjectorOptions
        {
            Image = WeftInstallation.Image(VersionCommand.Version),
            Version = VersionCommand.Version,
            ControlPlane = options.ControlPlane,
            InitArguments = NetnsSandbox.InitArguments,
            DefaultLevel = MeshLevels.L7,
            Tracing = options.Tracing,
        };
        var decision = SidecarInjector.Decide(pod, null, injector);
        return (decision.Injected ? JsonPatch.Apply(pod, decision.Patch!) : pod, decision.Reason);
    }

    /// <summary>The pod from its template, before injection.</summary>
    private JsonObject PlainJson()
    {
        var spec = Object.Spec;
        var annotations = Map(Object.Metadata.Annotations);
        annotations[MeshLevels.MtlsKey] = Weft.Proxy.Security.MtlsModes.Name(Settings.Mtls);
        var specJson = new JsonObject
        {
            ["serviceAccountName"] = spec.ServiceAccountName,
            ["containers"] = new JsonArray([.. spec.Containers.Select(c => (JsonNode)Container(c))]),
        };
        if (spec.TerminationGracePeriodSeconds is { } grace)
        {
            // The API server's graceful delete (kubectl delete pod, no --grace-period) gives the Pod this one.
            specJson["terminationGracePeriodSeconds"] = grace;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = Map(Object.Metadata.Labels),
                ["annotations"] = annotations,
            },
            ["spec"] = specJson,
        };

        static JsonObject Container(Container c)
        {
            var json = new JsonObject { ["name"] = c.Name, ["image"] = c.Image };
            if (c.Command.Count > 0)
            {
                json["command"] = new JsonArray([.. c.Command.Select(a => (JsonNode)JsonValue.Create(a))]);
            }

            if (c.Args.Count > 0)
            {
                json["args"] = new JsonArray([.. c.Args.Select(a => (JsonNode)JsonValue.Create(a))]);
            }

            if (c.Ports.Count > 0)
            {
                json["ports"] = new JsonArray([.. c.Ports.Select(p =>
                {
                    var port = new JsonObject { ["containerPort"] = p.Port, ["protocol"] = p.Protocol };
                    if (p.Name is not null)
                    {
                        port["name"] = p.Name;
                    }

                    return (JsonNode)port;
                })]);
            }

            if (c.Env.Count > 0)
            {
                json["env"] = new JsonArray([.. c.Env.Select(e => (JsonNode)new JsonObject { ["name"] = e.Name, ["value"] = e.Value ?? "" })]);
            }

            return json;
        }

        static JsonObject Map(IReadOnlyDictionary<string, string> values)
        {
            var map = new JsonObject();
            foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                map[key] = value;
            }

            return map;
        }
    }

    /// <summary>
    /// The environment of app container <paramref name="containerIndex"/> (and of <c>weft exec</c> in it): the pod's
    /// identity, the proxy settings of its sandbox (none for a pod without a sidecar, and none inherited from the shell),
    /// then the container's own <c>env</c>.
    /// </summary>
    public Dictionary<string, string?> AppEnvironment(int containerIndex)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["WEFT_POD_IP"] = IP.ToString(),
            ["HOSTNAME"] = Name,
            ["POD_NAME"] = Name,
            ["POD_NAMESPACE"] = Namespace,
            ["SERVICE_ACCOUNT"] = Object.Spec.ServiceAccountName,
            ["SERVICE_VERSION"] = Object.Metadata.Labels.TryGetValue("version", out var version) ? version : "",
        };
        foreach (var (name, value) in _sandbox.ProxyEnvironment(Settings.HasSidecar))
        {
            env[name] = value;
        }

        foreach (var variable in containerIndex < Object.Spec.Containers.Count ? Object.Spec.Containers[containerIndex].Env : [])
        {
            env[variable.Name] = variable.Value ?? "";
        }

        return env;
    }

    private Dictionary<string, string?> SidecarEnvironment() => _sidecarEnvironment is { } injected
        ? new(PodSandbox.ProxyVariables(null).Concat(injected.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))), StringComparer.Ordinal)
        : new(PodSandbox.ProxyVariables(null), StringComparer.Ordinal)
        {
            // (No proxy variable: the sidecar talks to the control plane directly, whatever proxy the user's shell names.)
            ["WEFT_POD_IP"] = IP.ToString(),
            ["POD_NAME"] = Name,
            ["POD_NAMESPACE"] = Namespace,

            // The workload token reaches the sidecar in a file of its own (owner-only, rewritten before expiry), never on
            // its command line (ps shows that) nor in its environment (it would never change).
        };

    private bool TryStartProcess(int index)
    {
        var containerName = _containerNames[index];
        var environment = index < SidecarCount ? SidecarEnvironment() : AppEnvironment(index - SidecarCount);
        var log = Path.Combine(_options.LogDirectory, $"{Namespace}_{Name}_{containerName}.log");
        try
        {
            _processes[index] = ChildProcess.Start(containerName, _commands[index], environment, log);
            lock (_containerGate)
            {
                _startedAt[index] = _options.Time.GetUtcNow();
            }

            ContainersChanged?.Invoke(this);
            return true;
        }
        catch (InvalidOperationException e)
        {
            SetState(false, $"container {containerName}: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Each container's state as a kubelet reports it in <c>status.containerStatuses</c>: whether its process runs, how
    /// often it was restarted, when it last started and how it last exited. A container whose process has not started
    /// (the pod is still starting, or could not start it) is not running. A process that has exited is its container's
    /// last exit at once, before the supervisor's next look records it (until then a first exit read as a container
    /// still being created, and a later one as the exit before it).
    /// </summary>
    public IReadOnlyList<ContainerState> ContainerStates()
    {
        var states = new List<ContainerState>(_containerNames.Count);
        for (var i = 0; i < _containerNames.Count && i < _restarts.Length; i++)
        {
            var (exited, exitCode) = _processes[i]?.State() ?? (true, null);
            lock (_containerGate)
            {
                states.Add(new ContainerState(_containerNames[i], !exited, _restarts[i], _startedAt[i], exitCode ?? _lastExitCodes[i]));
            }
        }

        return states;
    }

    /// <summary>
    /// How long a sidecar that has not been live since it started may take before it is restarted, when that is longer
    /// than <see cref="LocalClusterOptions.SidecarUnreadyDeadline"/> (which then holds for a sidecar that was live once):
    /// restarting a sidecar still starting on a busy machine only starts it again from nothing.
    /// </summary>
    internal static readonly TimeSpan SidecarStartupGrace = TimeSpan.FromSeconds(60);

    private async Task SuperviseAsync(CancellationToken ct)
    {
        var restartAt = new DateTimeOffset?[_processes.Count];
        DateTimeOffset? sidecarDeadSince = null;
        var sidecarLiveSinceStart = false;
        var failedReadiness = 0;
        while (!ct.IsCancellationRequested)
        {
            string? problem = null;
            for (var i = 0; i < _processes.Count; i++)
            {
                var process = _processes[i];
                if (process is null || !process.HasExited)
                {
                    continue;
                }

                var now = _options.Time.GetUtcNow();
                if (restartAt[i] is null)
                {
                    lock (_containerGate)
                    {
                        _lastExitCodes[i] = process.ExitCode;
                    }

                    var delay = BackOff(_restarts[i]);
                    restartAt[i] = now + delay;
                    problem = $"container {_containerNames[i]} exited with code {process.ExitCode}; restarting in {delay.TotalSeconds:0}s (log {process.LogPath})";
                    SetState(false, problem);
                    ContainersChanged?.Invoke(this);
                }
                else if (now >= restartAt[i])
                {
                    restartAt[i] = null;
                    lock (_containerGate)
                    {
                        _restarts[i]++;
                    }

                    await process.DisposeAsync();
                    if (i == 0)
                    {
                        sidecarLiveSinceStart = false; // a new sidecar: its startup grace again
                        sidecarDeadSince = null;
                    }

                    TryStartProcess(i);
                }

                problem ??= _problem;
            }

            if (_options.Time.GetUtcNow() >= _tokenRenewAt)
            {
                try
                {
                    WriteToken();
                }
                catch (IOException e)
                {
                    // Retried on the next round; the sidecar keeps the current token until it expires.
                    problem = $"renewing the sidecar's token: {e.Message}";
                }
            }

            if (problem is null)
            {
                var sidecarProblem = Settings.HasSidecar ? await ProbeSidecarAsync(MeshWire.ReadyPath, ct) : null;
                // As the kubelet: readiness from /ready, restarts from /live, which does not depend on the control plane
                // (an outage of that makes sidecars unready, and restarting them would not help).
                var deadProblem = sidecarProblem is null ? null : await ProbeSidecarAsync(MeshWire.LivePath, ct);
                if (deadProblem is not null && _processes[0] is { HasExited: false } sidecar)
                {
                    // A running sidecar that stays not live past the deadline is stopped; the loop above then restarts
                    // it with back-off, as for one that exited.
                    // As a kubelet's startup probe before its liveness probe: a sidecar not yet live since it started
                    // gets the startup grace (a busy machine's cold start takes seconds), one that was live the deadline.
                    var now = _options.Time.GetUtcNow();
                    var allowed = sidecarLiveSinceStart ? _options.SidecarUnreadyDeadline
                        : TimeSpan.FromTicks(Math.Max(_options.SidecarUnreadyDeadline.Ticks, SidecarStartupGrace.Ticks));
                    sidecarDeadSince ??= now;
                    if (now - sidecarDeadSince >= allowed)
                    {
                        sidecarDeadSince = null;
                        SetState(false, $"container {_containerNames[0]} not live for {allowed.TotalSeconds:0}s ({deadProblem}); restarting it (log {sidecar.LogPath})");
                        await sidecar.StopAsync(SidecarRestartGrace);
                        continue;
                    }
                }
                else if (Settings.HasSidecar)
                {
                    sidecarDeadSince = null;
                    sidecarLiveSinceStart = true;
                }

                var (ready, reason) = sidecarProblem is null ? await ProbeAppsAsync(ct) : (false, sidecarProblem);
                failedReadiness = ready ? 0 : failedReadiness + 1;
                if (ready || !_ready || failedReadiness >= ReadinessFailureThreshold)
                {
                    SetState(ready, reason);
                }
            }

            await Task.Delay(_ready ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(100), _options.Time, ct);
        }
    }

    private async Task<(bool Ready, string? Reason)> ProbeAppsAsync(CancellationToken ct)
    {
        foreach (var port in AppPorts)
        {
            // From inside the pod: in a network namespace a connection from the host would reach the sidecar, not the app.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                using var socket = await _sandbox.ConnectAsync(new IPEndPoint(IP, port), timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                return (false, $"app not ready (port {port} not accepting connections)");
            }
        }

        return (true, null);
    }

    /// <summary>Probes the sidecar's admin <paramref name="path"/> (<c>/ready</c> or <c>/live</c>): null when it answers 200, else why not.</summary>
    private async Task<string?> ProbeSidecarAsync(string path, CancellationToken ct)
    {
        var what = path == MeshWire.LivePath ? "live" : "ready";
        try
        {
            using var response = await _probe.GetAsync(new Uri($"http://{IP}:{SidecarPorts.Default.Admin}{path}"), ct);
            return response.StatusCode == HttpStatusCode.OK ? null : $"sidecar not {what} ({path} answered {(int)response.StatusCode})";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return $"sidecar not {what} (admin port not answering)";
        }
    }

    private void SetState(bool ready, string? problem)
    {
        if (_ready == ready && _problem == problem)
        {
            return;
        }

        _ready = ready;
        _problem = problem;
        StateChanged?.Invoke(this);
    }
}
