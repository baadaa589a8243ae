using System.Net;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Internal;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// <c>weft controller</c>: the control plane with the Kubernetes API as its source of truth (DESIGN decision 7). Every
/// replica reads the cluster (<see cref="KubeSource"/>), serves discovery and certificates over TLS, authenticating
/// sidecars by TokenReview; the replica holding the Lease writes status (<see cref="KubeStatusWriter"/>).
/// </summary>
public sealed class KubeController : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly LeaderElector _elector;
    private readonly ILogger _logger;
    private Task _election = Task.CompletedTask;
    private bool _disposed;

    private KubeController(KubeControllerOptions options, ControlPlaneHost controlPlane, KubeSource source, KubeStatusWriter status, LeaderElector elector, ILogger logger)
    {
        Options = options;
        ControlPlane = controlPlane;
        Source = source;
        Status = status;
        _elector = elector;
        _logger = logger;
    }

    public KubeControllerOptions Options { get; }

    public ControlPlaneHost ControlPlane { get; }

    public KubeSource Source { get; }

    public KubeStatusWriter Status { get; }

    /// <summary>Where sidecars reach discovery: <c>https://ADDRESS:PORT</c>.</summary>
    public Uri Address => ControlPlane.Address;

    public bool IsLeader => _elector.IsLeader();

    /// <summary>The Lease holder's identity as last seen ("" when none yet).</summary>
    public string Leader => _elector.GetLeader() ?? "";

    public static async Task<KubeController> StartAsync(KubeControllerOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var client = options.Client;
        var caOptions = new CaOptions { TrustDomain = options.TrustDomain };
        var root = await KubeCaSecret.LoadOrCreateAsync(client, options.Namespace, options.CaSecretName, caOptions, time, ct).ConfigureAwait(false);

        ControlPlaneHost? controlPlane = null;
        KubeSource? source = null;
        KubeStatusWriter? status = null;
        try
        {
            controlPlane = await ControlPlaneHost.StartAsync(
                new ControlPlaneOptions
                {
                    ListenAddress = options.ListenAddress,
                    Port = options.Port,
                    Ca = caOptions with { Root = root },
                    WorkloadAuthenticator = new TokenReviewAuthenticator(client, options.TokenAudience),
                    Tls = new ServingIdentity(options.ServingDnsNames(), options.ServingAddresses()),
                    LoggerFactory = loggerFactory,
                    Time = time,
                },
                ct).ConfigureAwait(false);
            await KubeCaSecret.PublishBundleAsync(client, options.Namespace, options.TrustBundleConfigMap, controlPlane.TrustBundlePem, ct).ConfigureAwait(false);

            source = new KubeSource(client, controlPlane.Store, loggerFactory, options.Informers);
            status = new KubeStatusWriter(client, source, controlPlane, options.ControllerName, options.SupportedFeatures, loggerFactory.CreateLogger<KubeStatusWriter>(), time);
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, options.Namespace, options.LeaseName, options.Identity))
            {
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
            });
            var logger = loggerFactory.CreateLogger<KubeController>();
            var controller = new KubeController(options, controlPlane, source, status, elector, logger);
            var lease = $"{options.Namespace}/{options.LeaseName}";
            var writer = status;
            elector.OnStartedLeading += () =>
            {
                Log.BecameLeader(logger, options.Identity, lease);
                writer.Active = true;
            };
            elector.OnStoppedLeading += () =>
            {
                writer.Active = false;
                Log.LostLeadership(logger, options.Identity, lease);
            };
            elector.OnNewLeader += leader => Log.NewLeader(logger, leader, lease);

            source.Start();
            status.Start();
            controller._election = Task.Run(() => controller.ElectAsync(controller._stop.Token), CancellationToken.None);
            return controller;
        }
        catch
        {
            if (status is not null)
            {
                await status.DisposeAsync().ConfigureAwait(false);
            }

            if (source is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }

            if (controlPlane is not null)
            {
                await controlPlane.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Completes once the cluster has been read and published to the store (the controller is ready).</summary>
    public Task WaitForSyncAsync(CancellationToken ct) => Source.WaitForSyncAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Status.Active = false;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _election.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _elector.Dispose();
        await Status.DisposeAsync().ConfigureAwait(false);
        await Source.DisposeAsync().ConfigureAwait(false);
        await ControlPlane.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Runs for election again and again: a replica that lost the Lease (a partition, a slow API) tries again.</summary>
    private async Task ElectAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _elector.RunUntilLeadershipLostAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.StatusWriteFailed(_logger, "leases.coordination.k8s.io", $"{Options.Namespace}/{Options.LeaseName}", KubeInformer.Describe(e));
            }

            Status.Active = false;
            try
            {
                await Task.Delay(Options.RetryPeriod, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}

/// <summary>How <c>weft controller</c> runs.</summary>
public sealed record KubeControllerOptions
{
    /// <summary>The API client (from in-cluster credentials or a kubeconfig).</summary>
    public required IKubernetes Client { get; init; }

    /// <summary>Weft's own namespace: the Lease, the CA Secret and the trust-bundle ConfigMap live there.</summary>
    public string Namespace { get; init; } = "weft-system";

    /// <summary>This replica's name in the Lease (the pod name in a cluster).</summary>
    public required string Identity { get; init; }

    /// <summary>The controllerName of the status entries this controller owns, and of the XMesh it accepts.</summary>
    public string ControllerName { get; init; } = MeshModel.DefaultControllerName;

    public IReadOnlyCollection<string> SupportedFeatures { get; init; } = MeshFeatures.Supported;

    public string LeaseName { get; init; } = "weft-controller";

    public string CaSecretName { get; init; } = "weft-ca";

    public string TrustBundleConfigMap { get; init; } = "weft-trust-bundle";

    /// <summary>The audience a sidecar's projected token is issued for, checked by TokenReview.</summary>
    public string TokenAudience { get; init; } = "weft";

    public string TrustDomain { get; init; } = "cluster.local";

    public string ListenAddress { get; init; } = "0.0.0.0";

    /// <summary>The discovery port; 0 lets the OS choose (tests).</summary>
    public int Port { get; init; } = 8090;

    /// <summary>The controller's Service name: the serving certificate names <c>SERVICE.NAMESPACE.svc</c> and its cluster-domain form.</summary>
    public string ServiceName { get; init; } = "weft-controller";

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>More DNS names or IP addresses for the serving certificate.</summary>
    public IReadOnlyList<string> ExtraServingNames { get; init; } = [];

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public KubeInformerOptions? Informers { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider? Time { get; init; }

    internal IReadOnlyList<string> ServingDnsNames() =>
    [
        $"{ServiceName}.{Namespace}.svc",
        $"{ServiceName}.{Namespace}.svc.{ClusterDomain}",
        .. ExtraServingNames.Where(n => !IPAddress.TryParse(n, out _)),
    ];

    internal IReadOnlyList<IPAddress> ServingAddresses()
    {
        var addresses = ExtraServingNames.Select(n => IPAddress.TryParse(n, out var a) ? a : null).OfType<IPAddress>().ToList();
        if (IPAddress.TryParse(ListenAddress, out var listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any) && !addresses.Contains(listen))
        {
            addresses.Add(listen);
        }

        return addresses;
    }
}
