using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.Cli.Local.Netns;
using Weft.ControlPlane;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Local;

/// <summary>
/// <c>weft up DIR</c> as an object: the control plane (watching DIR) and the local cluster next to it, with an address
/// block of its own, and in network-namespace isolation the node's network (<see cref="NodeNetwork"/>). Used by the
/// <c>up</c> verb, the conformance runner and the integration tests.
/// </summary>
internal sealed class LocalMesh : IAsyncDisposable
{
    private readonly AddressPlan _addresses;
    private readonly ILoggerFactory? _ownedLoggerFactory;
    private readonly Lock _stateGate = new();
    private bool _disposed;

    private readonly NodeNetwork? _node;
    private readonly Dns.ClusterDnsServer? _dns;

    private readonly IDisposable _running;
    private readonly ClusterMirror? _mirror;

    private LocalMesh(string manifestDirectory, string runDirectory, AddressPlan addresses, ControlPlaneHost controlPlane, LocalCluster cluster, LocalKubeProxy kubeProxy, ILoggerFactory? ownedLoggerFactory, NodeNetwork? node, Dns.ClusterDnsServer? dns, IDisposable running, Api.ApiServerNode? apiServer, ControlPlaneProcess? controlPlaneProcess, ClusterMirror? mirror)
    {
        _running = running;
        ControlPlaneProcess = controlPlaneProcess;
        _mirror = mirror;
        ApiServer = apiServer;
        _node = node;
        _dns = dns;
        KubeProxy = kubeProxy;
        ManifestDirectory = manifestDirectory;
        RunDirectory = runDirectory;
        _addresses = addresses;
        ControlPlane = controlPlane;
        Cluster = cluster;
        _ownedLoggerFactory = ownedLoggerFactory;
    }

    public string ManifestDirectory { get; }

    /// <summary>Where the state file and the pod logs are.</summary>
    public string RunDirectory { get; }

    public string StatePath => Path.Combine(RunDirectory, StateFile.FileName);

    public string LogDirectory => RunDirectories.Logs(RunDirectory);

    /// <summary>The control plane the sidecars are served by: the local one over the directory, or the in-process controller's.</summary>
    public ControlPlaneHost ControlPlane { get; }

    /// <summary>
    /// With <see cref="LocalMeshOptions.ControlPlaneProcess"/>: the control plane the sidecars and <c>weft status</c> talk
    /// to, a child process weft up restarts. <see cref="ControlPlane"/> then holds the store weft up records into (as an
    /// API server would), mirrored to the child, and serves nobody. Null otherwise.
    /// </summary>
    public ControlPlaneProcess? ControlPlaneProcess { get; }

    /// <summary>Where the sidecars and <c>weft status</c> reach the control plane.</summary>
    public Uri ControlPlaneAddress => ControlPlaneProcess?.Address ?? ControlPlane.Address;

    /// <summary>With <see cref="LocalMeshOptions.ApiServer"/>: the controller, applier and record against the API server; else null.</summary>
    public Api.ApiServerNode? ApiServer { get; }

    public LocalCluster Cluster { get; }

    /// <summary>Listens on every Service's ClusterIP:port for workloads without a sidecar (<see cref="LocalKubeProxy"/>).</summary>
    public LocalKubeProxy KubeProxy { get; }

    public string AddressBlock => _addresses.Cidr;

    public Isolation Isolation => _node is null ? Isolation.Process : Isolation.Netns;

    /// <summary>The node's gateway (the pods' DNS server and the control plane's address) in network-namespace isolation.</summary>
    public System.Net.IPAddress? Gateway => _node?.Block.Gateway;

    /// <summary>The mTLS mode of pods that do not say (<c>weft up --mtls-default</c>), recorded in the state for <c>weft explain</c>.</summary>
    public global::Weft.Proxy.Security.MtlsMode MtlsDefault { get; init; }

    /// <summary>The mesh's default inbound policy (<c>weft up --default-inbound-policy</c>), recorded in the state for <c>weft explain</c>.</summary>
    public string? DefaultInboundPolicy { get; init; }

    /// <summary>The mesh's default outbound policy (<c>weft up --default-outbound-policy</c>), recorded in the state for <c>weft explain</c>.</summary>
    public string? DefaultOutboundPolicy { get; init; }

    /// <summary>Also written with the state whenever it changes, once everything has been ready (the <c>--ready-file</c>).</summary>
    public string? ReadyFile { get; init; }

    public static async Task<LocalMesh> StartAsync(string manifestDirectory, LocalMeshOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = Path.GetFullPath(manifestDirectory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"manifests directory {directory} does not exist");
        }

        var runDirectory = options.RunDirectory ?? StateFile.RunDirectory(directory);
        Directory.CreateDirectory(runDirectory);

        // One mesh per run directory: two would share its state file, logs and CA, and the first to stop would delete
        // the other's state.
        var running = FileClaim.TryAcquire(Path.Combine(runDirectory, RunDirectories.LockName))
            ?? throw new InvalidOperationException($"a local mesh of {directory} is already running (run directory {runDirectory})");
        RunDirectories.BeginRun(runDirectory, directory, options.Progress);
        if (options.RunDirectory is null)
        {
            RunDirectories.PruneOrphans(StateFile.RuntimeRoot(), runDirectory, options.Progress);
        }

        NodeNetwork? node;
        try
        {
            node = options.Isolation == Isolation.Netns ? await NodeNetwork.StartAsync(options.NetnsRange, options.Progress, ct) : null;
        }
        catch
        {
            running.Dispose();
            throw;
        }

        AddressPlan addresses;
        try
        {
            addresses = node is null ? AddressPlan.Pick() : new AddressPlan(node.Block);
        }
        catch
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }

            running.Dispose();
            throw;
        }

        var loggerFactory = options.LoggerFactory ?? LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning));
        ControlPlaneHost? controlPlane = null;
        ControlPlaneProcess? child = null;
        ClusterMirror? mirror = null;
        Api.ApiServerNode? apiServer = null;
        LocalMesh? mesh = null;
        try
        {
            // The control plane: weft controller over an API server the directory is applied to, or one watching the
            // directory itself. Either way the local cluster, kube-proxy and DNS read its store.
            ControlPlaneHost host;
            ObjectStore store;
            Func<string?, bool> isServiceAddress;
            if (options.ApiServer is { } connection)
            {
                // Pods in their own network namespaces reach the controller on the node's gateway.
                apiServer = await Api.ApiServerNode.StartAsync(connection, directory, runDirectory, addresses,
                    node?.Block.Gateway ?? System.Net.IPAddress.Loopback, loggerFactory, options.Progress, ct, options.DefaultInboundPolicy, options.DefaultOutboundPolicy);
                host = apiServer.Controller.ControlPlane;
                store = apiServer.Store;
                isServiceAddress = addresses.IsServiceAddress; // not the API server's own Services (its kubernetes one)
            }
            else
            {
                host = controlPlane = await ControlPlaneHost.StartAsync(
                    new ControlPlaneOptions
                    {
                        ManifestDirectory = directory,
                        IgnoredFileNames = ImageMap.NotManifests,
                        // Pods in their own network namespaces reach the control plane on the node's gateway.
                        ListenAddress = node?.Block.Gateway.ToString() ?? "127.0.0.1",
                        Port = 0,
                        Admission = addresses.Admit,
                        LoggerFactory = loggerFactory,
                        StateDirectory = Path.Combine(runDirectory, "state"),
                        Ca = options.Ca,
                        DefaultInboundPolicy = options.DefaultInboundPolicy,
                        DefaultOutboundPolicy = options.DefaultOutboundPolicy,
                        WorkloadTokenLifetime = options.WorkloadTokenLifetime,
                    },
                    ct);
                store = controlPlane.Store;
                isServiceAddress = addresses.IsClusterIP;
                if (options.ControlPlaneProcess)
                {
                    // The child reads the directory itself, and what weft up records (pods, EndpointSlices, ClusterIPs)
                    // from the mirror; it shares the state directory, so the root and token key are the ones above.
                    mirror = new ClusterMirror(store, Path.Combine(runDirectory, ClusterMirror.FileName));
                    child = await ControlPlaneProcess.StartAsync(
                        options.Weft ?? WeftLauncher.Current(),
                        [
                            directory, "--state-dir", Path.Combine(runDirectory, "state"), "--cluster-file", mirror.Path,
                            "--workload-cert-lifetime", ((int)options.Ca.WorkloadLifetime.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            "--default-inbound-policy", options.DefaultInboundPolicy,
                            "--default-outbound-policy", options.DefaultOutboundPolicy,
                            .. options.Ca.RootCertPath is { } root ? ["--ca-cert", root, "--ca-key", options.Ca.RootKeyPath!] : Array.Empty<string>(),
                            .. options.Verbose ? ["--verbose"] : Array.Empty<string>(),
                        ],
                        node?.Block.Gateway ?? System.Net.IPAddress.Loopback,
                        Path.Combine(RunDirectories.Logs(runDirectory), $"weft-system_{ControlPlaneProcess.Name}.log"),
                        options.Progress,
                        ct);
                }
            }

            // External names the sidecars resolve: in network namespaces the pods' DNS answers them, as a cluster's DNS
            // would; with pods as processes each sidecar gets them as --resolve (its resolver is the machine's).
            var hosts = HostsFile.Load(directory).Resolve(service => addresses.ServiceAddress(service));
            var cluster = new LocalCluster(store, addresses, new LocalClusterOptions
            {
                ControlPlane = child?.Address ?? host.Address,
                LogDirectory = RunDirectories.Logs(runDirectory),
                Images = ImageMap.Load(directory),
                ManifestDirectory = directory,
                Hosts = node is null ? hosts : HostsFile.Empty,
                Weft = options.Weft ?? WeftLauncher.Current(),
                Progress = options.Progress,
                IssueToken = controlPlane is null ? null : controlPlane.IssueWorkloadToken,
                TokenLifetime = controlPlane?.WorkloadTokenLifetime ?? TimeSpan.FromHours(1),
                ControlPlaneCa = controlPlane?.TrustBundlePath,
                Record = apiServer?.Record,
                MtlsDefault = options.MtlsDefault,
                Tracing = options.Tracing,
                Node = node,
                SidecarUnreadyDeadline = options.SidecarUnreadyDeadline,
            });

            // In network namespaces the kube-proxy connects to podIP:targetPort, as kube-proxy's DNAT does; the pod's
            // capture rules hand the connection to its sidecar.
            var kubeProxy = new LocalKubeProxy(store, isServiceAddress, node is null ? SidecarPorts.Default.Inbound : null, options.Progress);
            var dns = node is null ? null : StartDns(node, store, hosts, options.Progress);
            mesh = new LocalMesh(directory, runDirectory, addresses, host, cluster, kubeProxy, options.LoggerFactory is null ? loggerFactory : null, node, dns, running, apiServer, child, mirror)
            {
                ReadyFile = options.ReadyFile,
                MtlsDefault = options.MtlsDefault,
                DefaultInboundPolicy = options.DefaultInboundPolicy,
                DefaultOutboundPolicy = options.DefaultOutboundPolicy,
            };
            cluster.Changed += mesh.WriteState;
            foreach (var problem in host.Problems)
            {
                options.Progress?.WriteLine($"warning: {problem}");
            }

            kubeProxy.Start();
            cluster.Start();
            return mesh;
        }
        catch when (mesh is not null)
        {
            await mesh.DisposeAsync(); // it owns every part made so far
            throw;
        }
        catch
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }

            mirror?.Dispose();
            if (controlPlane is not null)
            {
                await controlPlane.DisposeAsync();
            }

            if (apiServer is not null)
            {
                await apiServer.DisposeAsync();
            }

            addresses.Dispose();
            if (node is not null)
            {
                await node.DisposeAsync();
            }

            running.Dispose();
            if (options.LoggerFactory is null)
            {
                loggerFactory.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// The pods' DNS answerer on the node's gateway, port 53 (their resolv.conf names it). Without it pods still reach
    /// Services by ClusterIP, so a port 53 someone else holds is a warning, not a failure.
    /// </summary>
    private static Dns.ClusterDnsServer? StartDns(NodeNetwork node, Weft.ControlPlane.Objects.ObjectStore store, HostsFile hosts, TextWriter? progress)
    {
        try
        {
            return Dns.ClusterDnsServer.Start(new System.Net.IPEndPoint(node.Block.Gateway, 53), store.Snapshot, progress, hosts: hosts.Names);
        }
        catch (InvalidOperationException e)
        {
            progress?.WriteLine($"warning: {e.Message}; pods can reach Services by ClusterIP only");
            return null;
        }
    }

    /// <summary>
    /// How a client acting as <paramref name="pod"/>'s app connects: through its sidecar's proxy settings in process
    /// isolation, from inside its network namespace (names resolved as its resolver does) otherwise.
    /// </summary>
    public Client.PodDialer DialerFor(LocalPod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return _node is null
            ? new Client.SidecarProxyDialer(new System.Net.IPEndPoint(pod.IP, SidecarPorts.Default.Outbound))
            : new Client.PodNetworkDialer(pod.ConnectAsync, (host, _) =>
                Task.FromResult((_dns?.Names ?? Dns.ClusterDnsNames.From(ControlPlane.Store.Snapshot())).Resolve(host, pod.Namespace)));
    }

    /// <summary>
    /// Waits until every pod is Ready and the control plane has translated what the store then holds (so the pods'
    /// endpoints are in the policies a sidecar gets), writes the state and ready files; or throws saying which pods are not.
    /// </summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        await Cluster.WaitUntilReadyAsync(timeout, ct);
        try
        {
            if (ApiServer is not null)
            {
                // Ready pods count once the API says so and the controller has read it.
                await ApiServer.SyncAsync(deadline.Token);
            }

            await ControlPlane.WaitForVersionAsync(ControlPlane.Store.Version, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException(ApiServer is null
                ? $"the control plane did not translate store version {ControlPlane.Store.Version} within {timeout.TotalSeconds:0}s"
                : $"the controller did not read the pods' state back from the API server within {timeout.TotalSeconds:0}s");
        }

        WriteState();
    }

    /// <summary>The state as <c>weft curl</c> and <c>weft status</c> read it.</summary>
    public MeshState State()
    {
        var snapshot = ControlPlane.Store.Snapshot();
        var pods = Cluster.Pods;
        return new MeshState
        {
            Pid = Environment.ProcessId,
            ManifestDirectory = ManifestDirectory,
            ControlPlane = ControlPlaneAddress.ToString().TrimEnd('/'),
            ControlPlaneCa = ApiServer is null ? ControlPlane.TrustBundlePath : null,
            AdminCredential = ApiServer is null ? ControlPlane.AdminCredentialPath : null,
            Kubeconfig = ApiServer?.Connection.Kubeconfig,
            KubeContext = ApiServer?.Connection.Context,
            KubeNamespace = ApiServer?.Connection.Namespace,
            AddressBlock = AddressBlock,
            Isolation = IsolationNames.NameOf(Isolation),
            PodCidr = _addresses.PodCidr,
            ServiceCidr = _addresses.ServiceCidr,
            Nameserver = Gateway?.ToString(),
            MtlsDefault = global::Weft.Proxy.Security.MtlsModes.Name(MtlsDefault),
            DefaultInboundPolicy = global::Weft.Routing.Authorization.DefaultInboundPolicies.Parse(DefaultInboundPolicy),
            DefaultOutboundPolicy = global::Weft.Routing.OutboundPolicies.Parse(DefaultOutboundPolicy),
            Ready = Cluster.AllReady,
            Updated = DateTimeOffset.UtcNow,
            Services = [.. snapshot.Objects.OfType<Service>().Select(s => new ServiceState
            {
                Namespace = s.Namespace,
                Name = s.Name,
                ClusterIP = s.Spec.ClusterIP,
                Ports = [.. s.Spec.Ports.Select(p => new ServicePortState
                {
                    Name = p.Name,
                    Port = p.Port,
                    TargetPort = p.TargetPort.Number is null && string.IsNullOrEmpty(p.TargetPort.Text) ? p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : p.TargetPort.ToString(),
                    AppProtocol = p.AppProtocol,
                })],
            })],
            Pods = [.. pods.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new PodState
            {
                Namespace = p.Namespace,
                Name = p.Name,
                Deployment = p.DeploymentName,
                IP = p.IP.ToString(),
                Ready = p.Ready,
                ServiceAccount = p.Object.Spec.ServiceAccountName,
                Labels = p.Object.Metadata.Labels,
                Sidecar = SidecarPorts.Default,
                HasSidecar = p.Settings.HasSidecar,
                Level = p.Settings.Level,
                Mtls = p.Settings.HasSidecar ? Weft.Proxy.Security.MtlsModes.Name(p.Settings.Mtls) : null,
                Netns = p.Netns,
                Environment = p.AppEnvironment(0),
                Problem = p.Ready ? null : p.Problem,
            })],
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Cluster.Changed -= WriteState;

        // Each part in turn, whatever the one before threw: the node's network and the block's claim always go last.
        try
        {
            await KubeProxy.DisposeAsync();
        }
        finally
        {
            try
            {
                await Cluster.DisposeAsync();
            }
            finally
            {
                try
                {
                    if (_dns is not null)
                    {
                        await _dns.DisposeAsync();
                    }

                    if (ApiServer is not null)
                    {
                        await ApiServer.DisposeAsync(); // the controller's control plane with it
                    }
                    else
                    {
                        if (ControlPlaneProcess is not null)
                        {
                            await ControlPlaneProcess.DisposeAsync();
                        }

                        _mirror?.Dispose();
                        await ControlPlane.DisposeAsync();
                    }
                    TryDelete(StatePath);
                    if (ReadyFile is not null)
                    {
                        TryDelete(ReadyFile);
                    }
                }
                finally
                {
                    _addresses.Dispose();
                    if (_node is not null)
                    {
                        await _node.DisposeAsync();
                    }

                    _ownedLoggerFactory?.Dispose();
                    _running.Dispose();
                }
            }
        }
    }

    private void WriteState()
    {
        try
        {
            lock (_stateGate)
            {
                if (_disposed)
                {
                    return;
                }

                var state = State();
                StateFile.Write(StatePath, state);
                if (ReadyFile is not null && (state.Ready || File.Exists(ReadyFile)))
                {
                    StateFile.Write(ReadyFile, state);
                }
            }
        }
        catch (IOException)
        {
            // The state file is a convenience; the mesh keeps running without it.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
