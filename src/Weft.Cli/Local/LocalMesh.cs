using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.ControlPlane;

namespace Weft.Cli.Local;

/// <summary>
/// <c>weft up DIR</c> as an object: the control plane (watching DIR) and the local cluster next to it, with an address
/// block of its own. Used by the <c>up</c> verb, the conformance runner and the integration tests.
/// </summary>
internal sealed class LocalMesh : IAsyncDisposable
{
    private readonly AddressPlan _addresses;
    private readonly ILoggerFactory? _ownedLoggerFactory;
    private readonly Lock _stateGate = new();
    private bool _disposed;

    private LocalMesh(string manifestDirectory, string runDirectory, AddressPlan addresses, ControlPlaneHost controlPlane, LocalCluster cluster, LocalKubeProxy kubeProxy, ILoggerFactory? ownedLoggerFactory)
    {
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

    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    public ControlPlaneHost ControlPlane { get; }

    public LocalCluster Cluster { get; }

    /// <summary>Listens on every Service's ClusterIP:port for workloads without a sidecar (<see cref="LocalKubeProxy"/>).</summary>
    public LocalKubeProxy KubeProxy { get; }

    public string AddressBlock => _addresses.Cidr;

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
        var addresses = AddressPlan.Pick();
        var loggerFactory = options.LoggerFactory ?? LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning));
        ControlPlaneHost? controlPlane = null;
        try
        {
            controlPlane = await ControlPlaneHost.StartAsync(
                new ControlPlaneOptions
                {
                    ManifestDirectory = directory,
                    ListenAddress = "127.0.0.1",
                    Port = 0,
                    Admission = addresses.Admit,
                    LoggerFactory = loggerFactory,
                    StateDirectory = Path.Combine(runDirectory, "state"),
                    Ca = options.Ca,
                },
                ct);
            var cluster = new LocalCluster(controlPlane.Store, addresses, new LocalClusterOptions
            {
                ControlPlane = controlPlane.Address,
                LogDirectory = Path.Combine(runDirectory, "logs"),
                Images = ImageMap.Load(directory),
                Weft = options.Weft ?? WeftLauncher.Current(),
                Progress = options.Progress,
                IssueToken = controlPlane.IssueWorkloadToken,
                MtlsDefault = options.MtlsDefault,
                CertificateDirectory = Path.Combine(runDirectory, "certs"),
            });
            var kubeProxy = new LocalKubeProxy(controlPlane.Store, SidecarPorts.Default.Inbound, options.Progress);
            var mesh = new LocalMesh(directory, runDirectory, addresses, controlPlane, cluster, kubeProxy, options.LoggerFactory is null ? loggerFactory : null) { ReadyFile = options.ReadyFile };
            cluster.Changed += mesh.WriteState;
            foreach (var problem in controlPlane.Problems)
            {
                options.Progress?.WriteLine($"warning: {problem}");
            }

            kubeProxy.Start();
            cluster.Start();
            return mesh;
        }
        catch
        {
            if (controlPlane is not null)
            {
                await controlPlane.DisposeAsync();
            }

            addresses.Dispose();
            if (options.LoggerFactory is null)
            {
                loggerFactory.Dispose();
            }

            throw;
        }
    }

    /// <summary>Waits until every pod is Ready (and writes the state and ready files), or throws saying which are not.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        await Cluster.WaitUntilReadyAsync(timeout, ct);
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
            ControlPlane = ControlPlane.Address.ToString().TrimEnd('/'),
            AddressBlock = AddressBlock,
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
        await KubeProxy.DisposeAsync();
        await Cluster.DisposeAsync();
        await ControlPlane.DisposeAsync();
        TryDelete(StatePath);
        if (ReadyFile is not null)
        {
            TryDelete(ReadyFile);
        }

        _addresses.Dispose();
        _ownedLoggerFactory?.Dispose();
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
