using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Injection;
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
    private readonly LeaseLock _lease;
    private readonly ILogger _logger;
    private Task _election = Task.CompletedTask;
    private Task _rootKeeper = Task.CompletedTask;
    private Task _webhookKeeper = Task.CompletedTask;
    private Task _bundlePublisher = Task.CompletedTask;
    private readonly Endpoints _endpoints;
    private readonly SemaphoreSlim _namespacesChanged = new(0, 1);
    private readonly SemaphoreSlim _namespaceSettingsChanged = new(0, 1);
    private Task _settingsReporter = Task.CompletedTask;
    private KubeInformer? _webhooks;
    private readonly SemaphoreSlim _webhookChanged = new(0, 1);
    private RootPem _root = null!;
    private TokenReviewAuthenticator? _authenticator;
    private KubeAdminReviewer? _operators;
    private bool _disposed;

    private KubeController(KubeControllerOptions options, ControlPlaneHost controlPlane, KubeSource source, KubeStatusWriter status, LeaderElector elector, LeaseLock lease, ILogger logger, Endpoints endpoints)
    {
        _endpoints = endpoints;
        _lease = lease;
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

    /// <summary>True while this replica holds the Lease (from the elector's started/stopped events).</summary>
    public bool IsLeader => Status.Active;

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

        var authenticator = new TokenReviewAuthenticator(client, options.TokenAudience);
        var operators = new KubeAdminReviewer(client, time);
        var endpoints = new Endpoints(client, options, loggerFactory.CreateLogger<AdmissionWebhook>());
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
                    WorkloadAuthenticator = authenticator,
                    AdminReviewer = operators,
                    DefaultInboundPolicy = options.DefaultInboundPolicy,
                    DefaultOutboundPolicy = options.DefaultOutboundPolicy,
                    Tls = new ServingIdentity(options.ServingDnsNames(), options.ServingAddresses()),
                    MapEndpoints = endpoints.Map,
                    LoggerFactory = loggerFactory,
                    Time = time,
                },
                ct).ConfigureAwait(false);
            await KubeCaSecret.PublishBundleAsync(client, options.Namespace, options.TrustBundleConfigMap, controlPlane.TrustBundlePem, ct).ConfigureAwait(false);

            source = new KubeSource(client, controlPlane.Store, loggerFactory, options.Informers);
            controlPlane.ReportRefusalsOf(source);
            endpoints.Attach(source, controlPlane);
            status = new KubeStatusWriter(client, source, controlPlane, options.ControllerName, options.SupportedFeatures, loggerFactory.CreateLogger<KubeStatusWriter>(), time);
            var leaseLock = new LeaseLock(client, options.Namespace, options.LeaseName, options.Identity);
            var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
            {
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
            });
            var logger = loggerFactory.CreateLogger<KubeController>();
            var controller = new KubeController(options, controlPlane, source, status, elector, leaseLock, logger, endpoints);
            var lease = $"{options.Namespace}/{options.LeaseName}";
            var writer = status;
            elector.OnStartedLeading += () =>
            {
                Log.BecameLeader(logger, options.Identity, lease);
                writer.Active = true;
                Signal(controller._namespacesChanged);
                Signal(controller._namespaceSettingsChanged);
            };
            elector.OnStoppedLeading += () =>
            {
                writer.Active = false;
                Log.LostLeadership(logger, options.Identity, lease);
                Signal(controller._namespaceSettingsChanged); // forgets what it said: the next leader says it
            };
            elector.OnNewLeader += leader => Log.NewLeader(logger, leader, lease);
            elector.OnError += e => Log.LeaseFailed(logger, lease, KubeErrors.Describe(e));

            source.Start();
            status.Start();
            controller._root = root;
            controller._authenticator = authenticator;
            controller._operators = operators;
            controller._election = Task.Run(() => controller.ElectAsync(controller._stop.Token), CancellationToken.None);
            controller._rootKeeper = Task.Run(() => controller.KeepRootAsync(controller._stop.Token), CancellationToken.None);
            source.InformerOf(KubeResource.Namespaces).Changed += _ => Signal(controller._namespaceSettingsChanged);
            controller._settingsReporter = Task.Run(() => controller.ReportSkippedSettingsAsync(controller._stop.Token), CancellationToken.None);
            if (options.Injector is not null)
            {
                controller._webhooks = new KubeInformer(client, KubeResource.MutatingWebhookConfigurations, logger, options.Informers, time);
                controller._webhooks.Changed += _ => controller.SignalWebhookChanged();
                controller._webhooks.Start();
                controller._webhookKeeper = Task.Run(() => controller.KeepWebhookCaBundleAsync(controller._stop.Token), CancellationToken.None);
                source.InformerOf(KubeResource.Namespaces).Changed += _ => Signal(controller._namespacesChanged);
                controller._bundlePublisher = Task.Run(() => controller.PublishTrustBundlesAsync(controller._stop.Token), CancellationToken.None);
            }

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

            authenticator.Dispose();
            operators.Dispose();
            endpoints.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Completes once every kind has been listed and the model built from that is the one discovery serves: before it,
    /// a sidecar's question would be answered from a model without the cluster's Services (NOT_FOUND, which it remembers).
    /// </summary>
    public async Task WaitForSyncAsync(CancellationToken ct)
    {
        await Source.WaitForSyncAsync(ct).ConfigureAwait(false);
        await ControlPlane.WaitForVersionAsync(Source.SyncedStoreVersion, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var leading = Status.Active;
        Status.Active = false;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _election, _rootKeeper, _webhookKeeper, _bundlePublisher, _settingsReporter })
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (leading)
        {
            await ReleaseLeaseAsync().ConfigureAwait(false);
        }

        _elector.Dispose();
        if (_webhooks is not null)
        {
            await _webhooks.DisposeAsync().ConfigureAwait(false);
        }

        await Status.DisposeAsync().ConfigureAwait(false);
        await Source.DisposeAsync().ConfigureAwait(false);
        await ControlPlane.DisposeAsync().ConfigureAwait(false);
        _authenticator?.Dispose();
        _operators?.Dispose();
        _endpoints.Dispose();
        _stop.Dispose();
        _webhookChanged.Dispose();
        _namespacesChanged.Dispose();
        _namespaceSettingsChanged.Dispose();
    }

    private void SignalWebhookChanged() => Signal(_webhookChanged);

    private static void Signal(SemaphoreSlim signal)
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A sync is due already.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Namespaces whose pods are never injected (the webhook configuration excludes them), so get no trust bundle.</summary>
    private static readonly HashSet<string> SystemNamespaces = new(StringComparer.Ordinal) { "kube-system", "kube-public", "kube-node-lease" };

    /// <summary>
    /// Publishes the trust bundle into every namespace as ConfigMap <c>weft-trust-bundle</c> (Istio's
    /// <c>istio-ca-root-cert</c>): an injected pod's projected volume mounts it, and a pod can only mount a ConfigMap of its
    /// own namespace. The leader does it when namespaces change, when it starts leading, and checks them all again every
    /// ten root-check intervals (a deleted ConfigMap comes back); the webhook itself writes nothing.
    /// </summary>
    private async Task PublishTrustBundlesAsync(CancellationToken ct)
    {
        var published = new Dictionary<string, string>(StringComparer.Ordinal);
        var rounds = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await _namespacesChanged.WaitAsync(Options.RootCheckInterval, ct).ConfigureAwait(false) && ++rounds % 10 == 0)
                {
                    published.Clear();
                }

                if (!Status.Active)
                {
                    continue;
                }

                var bundle = ControlPlane.TrustBundlePem;
                var namespaces = Source.InformerOf(KubeResource.Namespaces).Objects.Keys.Where(n => !SystemNamespaces.Contains(n)).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in published.Keys.Where(n => !namespaces.Contains(n)).ToList())
                {
                    published.Remove(gone);
                }

                foreach (var ns in namespaces.Where(n => !published.TryGetValue(n, out var sent) || sent != bundle))
                {
                    try
                    {
                        await KubeCaSecret.PublishBundleAsync(Options.Client, ns, Options.TrustBundleConfigMap, bundle, ct).ConfigureAwait(false);
                        published[ns] = bundle;
                    }
                    catch (Exception e) when (e is HttpOperationException or InvalidOperationException)
                    {
                        // One namespace (being deleted, or holding a ConfigMap of that name that is not Weft's) stops no other.
                        Log.StatusWriteFailed(_logger, "configmaps", $"{ns}/{Options.TrustBundleConfigMap}", KubeErrors.Describe(e));
                        published[ns] = bundle; // tried; the next full check tries again
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException)
            {
                Log.StatusWriteFailed(_logger, "configmaps", Options.TrustBundleConfigMap, KubeErrors.Describe(e));
            }
        }
    }

    /// <summary>
    /// Logs, as a warning, each <c>weft.dev/*</c> setting of a Namespace that Weft skips (an unknown value, tracing on a
    /// namespace: <see cref="MeshSettingValues.Skipped"/>, as <c>weft validate</c> names them) once per leader while it
    /// stands, and a line when it no longer does (the namespace still there): whenever namespaces change and when this
    /// replica starts leading. Only namespaces: they are few, and a typo there changes the mesh of every pod in them;
    /// pods and Deployments are too many to go over on each change (<c>weft validate</c> checks their manifests). It
    /// reads the informer's namespaces, not the store's, which may not have the change that woke it yet, and parses
    /// again only a namespace whose object changed (the informer keeps an unchanged object's instance).
    /// </summary>
    private async Task ReportSkippedSettingsAsync(CancellationToken ct)
    {
        var reported = new HashSet<(string Namespace, string Problem)>();
        var parsed = new Dictionary<string, (JsonObject Json, string[] Problems)>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _namespaceSettingsChanged.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }

            if (!Status.Active)
            {
                reported.Clear(); // the next leader says them; this replica again if it leads again
                continue;
            }

            try
            {
                var informed = Source.InformerOf(KubeResource.Namespaces).Objects;
                var current = new HashSet<(string Namespace, string Problem)>();
                foreach (var (name, json) in informed)
                {
                    if (!parsed.TryGetValue(name, out var known) || !ReferenceEquals(known.Json, json))
                    {
                        known = (json, [.. ManifestLoader.LoadText(json.ToJsonString(), $"namespaces/{name}").Objects.SelectMany(MeshSettingValues.Skipped)]);
                        parsed[name] = known;
                    }

                    foreach (var problem in known.Problems)
                    {
                        // Said once: when it first stands (not in what the last pass reported).
                        if (current.Add((name, problem)) && !reported.Contains((name, problem)))
                        {
                            Log.NamespaceSettingSkipped(_logger, name, problem);
                        }
                    }
                }

                foreach (var gone in parsed.Keys.Where(name => !informed.ContainsKey(name)).ToList())
                {
                    parsed.Remove(gone);
                }

                foreach (var (name, problem) in reported.Except(current).Where(r => informed.ContainsKey(r.Namespace)))
                {
                    Log.NamespaceSettingNoLongerSkipped(_logger, name, problem);
                }

                reported = current;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Log.NamespaceSettingsCheckFailed(_logger, e);
            }
        }
    }

    /// <summary>
    /// Keeps the webhook configuration's caBundle equal to the trust bundle: at start, whenever the configuration
    /// changes (a re-applied <c>weft install</c> empties it), and at every root check. Every replica whose root is the
    /// Secret's does it (the result is the same; a conflict is read again), so that a webhook never waits on the leader.
    /// </summary>
    private async Task KeepWebhookCaBundleAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Only a replica signing with the root the Secret holds writes: during a root change, replicas of the old
                // root would otherwise overwrite the new one's caBundle (and each other's) for as long as both run.
                var stored = await KubeCaSecret.ReadAsync(Options.Client, Options.Namespace, Options.CaSecretName, ct).ConfigureAwait(false);
                if (stored is not null && stored.CertificatePem.Trim() == _root.CertificatePem.Trim()
                    && await WebhookCaBundle.SyncAsync(Options.Client, Options.WebhookConfigurationName, ControlPlane.TrustBundlePem, ct).ConfigureAwait(false))
                {
                    Log.WebhookCaBundleSet(_logger, Options.WebhookConfigurationName);

                    // Someone else writing it too (another tool managing the caBundle) meets one write per retry period, not a loop.
                    await Task.Delay(Options.RetryPeriod, ct).ConfigureAwait(false);
                }

                await _webhookChanged.WaitAsync(Options.RootCheckInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or InvalidOperationException)
            {
                Log.WebhookCaBundleFailed(_logger, Options.WebhookConfigurationName, KubeErrors.Describe(e));
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

    /// <summary>
    /// The controller's HTTP endpoints beside discovery: <c>/ready</c> (200 once the cluster has been read, for the
    /// Deployment's readiness probe) and, with an injector, <c>/inject</c>. Mapped before the source exists (the host
    /// starts first); until <see cref="Attach"/> they answer 503 and the webhook reads namespaces from the API.
    /// </summary>
    private sealed class Endpoints(IKubernetes client, KubeControllerOptions options, ILogger webhookLogger) : IDisposable
    {
        private KubeSource? _source;
        private AdmissionWebhook? _webhook;

        private ControlPlaneHost? _controlPlane;

        public void Attach(KubeSource source, ControlPlaneHost controlPlane)
        {
            Volatile.Write(ref _controlPlane, controlPlane);
            Volatile.Write(ref _source, source);
        }

        /// <summary>Every kind listed, and the model discovery serves built from that (a sidecar asking earlier would be told NOT_FOUND for the cluster's Services).</summary>
        private bool Ready() => Volatile.Read(ref _source) is { Synced: true } source
            && Volatile.Read(ref _controlPlane) is { } controlPlane && controlPlane.Published.StoreVersion >= source.SyncedStoreVersion;

        public void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder routes)
        {
            routes.MapGet(WeftInstallation.ReadyPath, (HttpContext context) =>
            {
                var ready = Ready();
                context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return context.Response.WriteAsync(ready ? "ready\n" : "reading the cluster\n", context.RequestAborted);
            });
            if (options.Injector is { } injector)
            {
                _webhook = new AdmissionWebhook(injector, NamespaceAsync, webhookLogger);
                routes.MapPost(WeftInstallation.InjectPath, _webhook.HandleAsync);
            }
        }

        private async Task<JsonObject?> NamespaceAsync(string name, CancellationToken ct)
        {
            if (Volatile.Read(ref _source) is { Synced: true } source && source.InformerOf(KubeResource.Namespaces).Objects.TryGetValue(name, out var known))
            {
                return known;
            }

            return await KubeResource.Namespaces.GetAsync(client, null, name, ct).ConfigureAwait(false);
        }

        public void Dispose() => _webhook?.Dispose();
    }

    /// <summary>
    /// Keeps the mesh root where replicas and sidecars find it: a deleted Secret is made again from the root this replica
    /// signs with (a replica starting meanwhile would otherwise make a second root and split the mesh), a deleted or
    /// edited trust-bundle ConfigMap is published again, and a Secret holding another root than this replica's is
    /// reported (rotating the root means restarting every replica).
    /// </summary>
    private async Task KeepRootAsync(CancellationToken ct)
    {
        var reported = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.RootCheckInterval, Options.Time ?? TimeProvider.System, ct).ConfigureAwait(false);
                var stored = await KubeCaSecret.ReadAsync(Options.Client, Options.Namespace, Options.CaSecretName, ct).ConfigureAwait(false);
                if (stored is null)
                {
                    if (await KubeCaSecret.TryCreateAsync(Options.Client, Options.Namespace, Options.CaSecretName, _root, ct).ConfigureAwait(false))
                    {
                        Log.RootRestored(_logger, $"{Options.Namespace}/{Options.CaSecretName}");
                    }
                }
                else if (stored.CertificatePem.Trim() != _root.CertificatePem.Trim())
                {
                    if (!reported)
                    {
                        Log.RootDiffers(_logger, $"{Options.Namespace}/{Options.CaSecretName}");
                        reported = true;
                    }

                    continue; // the bundle is the other root's owner's to publish
                }

                await KubeCaSecret.PublishBundleAsync(Options.Client, Options.Namespace, Options.TrustBundleConfigMap, ControlPlane.TrustBundlePem, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or InvalidOperationException)
            {
                Log.StatusWriteFailed(_logger, "secrets", $"{Options.Namespace}/{Options.CaSecretName}", KubeErrors.Describe(e));
            }
        }
    }

    /// <summary>
    /// Gives the Lease up on a clean stop (client-go's ReleaseOnCancel), so that another replica takes over at its next
    /// retry instead of waiting out the lease (a rolling update would otherwise leave status unwritten that long).
    /// </summary>
    private async Task ReleaseLeaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var record = await _lease.GetAsync(timeout.Token).ConfigureAwait(false);
            if (record.HolderIdentity == Options.Identity)
            {
                record.HolderIdentity = "";
                record.LeaseDurationSeconds = 1;
                record.RenewTime = DateTime.UtcNow;
                await _lease.UpdateAsync(record, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            Log.LeaseFailed(_logger, $"{Options.Namespace}/{Options.LeaseName}", $"not released: {KubeErrors.Describe(e)}");
        }
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
                Log.LeaseFailed(_logger, $"{Options.Namespace}/{Options.LeaseName}", KubeErrors.Describe(e));
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
