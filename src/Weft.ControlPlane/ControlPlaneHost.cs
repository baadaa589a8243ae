using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Serving;
using Weft.ControlPlane.Sources;
using Weft.ControlPlane.Translation;
using Weft.Discovery;
using Weft.Routing;

namespace Weft.ControlPlane;

/// <summary>
/// The control plane in one process: the object store, the manifests directory source, the translator loop and the
/// discovery server (gRPC over HTTP/2 on Kestrel, always TLS with a certificate from the mesh CA, every call
/// authenticated: <see cref="CallerAuthentication"/>), and the mesh CA that issues workload certificates over it.
/// </summary>
public sealed class ControlPlaneHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Translator _translator;
    private readonly DirectorySource? _directory;
    private readonly SubscriptionRegistry _subscriptions;
    private readonly TimeProvider _time;
    private readonly WorkloadTokenIssuer _tokens;
    private readonly TimeSpan _tokenLifetime;
    private readonly AdminCredential _admin;
    private readonly IAsyncDisposable? _moreSources;
    private readonly ControlPlaneStatus _status;
    private bool _disposed;

    private ControlPlaneHost(
        WebApplication app,
        ObjectStore store,
        Translator translator,
        DirectorySource? directory,
        SubscriptionRegistry subscriptions,
        Uri address,
        TimeProvider time,
        MeshCertificateAuthority ca,
        WorkloadTokenIssuer tokens,
        TimeSpan tokenLifetime,
        AdminCredential admin,
        string? trustBundlePath,
        IAsyncDisposable? moreSources,
        ControlPlaneStatus status)
    {
        _status = status;
        _admin = admin;
        _moreSources = moreSources;
        TrustBundlePath = trustBundlePath;
        _time = time;
        CertificateAuthority = ca;
        _tokens = tokens;
        _tokenLifetime = tokenLifetime;
        _app = app;
        Store = store;
        _translator = translator;
        _directory = directory;
        _subscriptions = subscriptions;
        Address = address;
    }

    /// <summary>Where the discovery server listens, with the port actually bound: <c>https://127.0.0.1:PORT</c>.</summary>
    public Uri Address { get; }

    /// <summary>The credential that reads status (<c>GetStatus</c>); <c>weft status</c> reads it from <see cref="AdminCredentialPath"/>.</summary>
    public string AdminCredential => _admin.Value;

    /// <summary>The admin credential's file in the state directory (owner-only), or null when it lives in memory only.</summary>
    public string? AdminCredentialPath => _admin.Path;

    /// <summary>
    /// <see cref="TrustBundlePem"/> as a file in the state directory, which the discovery server's certificate chains to (a
    /// sidecar's and <c>weft status</c>'s <c>--control-plane-ca</c>); null without a state directory.
    /// </summary>
    public string? TrustBundlePath { get; }

    /// <summary>How long a token from <see cref="IssueWorkloadToken"/> is valid.</summary>
    public TimeSpan WorkloadTokenLifetime => _tokenLifetime;

    public ObjectStore Store { get; }

    /// <summary>The newest model the translator published.</summary>
    public MeshModel CurrentModel => _translator.Current.Model;

    /// <summary>The newest published model, able to wait for the next one (the Kubernetes status writer follows it).</summary>
    public PublishedModel Published => _translator.Current;

    /// <summary>The version discovery updates from <see cref="CurrentModel"/> carry.</summary>
    public ulong ModelVersion => _translator.Current.Version;

    /// <summary>Status conditions of every route, from <see cref="CurrentModel"/>.</summary>
    public IReadOnlyList<RouteStatus> Statuses => CurrentModel.Statuses;

    /// <summary>The mesh CA that signs workload certificates.</summary>
    public MeshCertificateAuthority CertificateAuthority { get; }

    /// <summary>The PEM of every root a workload must trust (two during a root rotation).</summary>
    public string TrustBundlePem => CertificateAuthority.TrustBundlePem;

    /// <summary>The manifests directory's load problems (empty without a directory).</summary>
    public IReadOnlyList<ManifestProblem> Problems => _directory?.Problems ?? [];

    /// <summary>
    /// Makes the status answer (<c>weft status --control-plane</c>) list the objects <paramref name="source"/>'s loader
    /// refused, as the manifests directory's problems are listed: a refused object is in no model, so no other part of
    /// the answer names it.
    /// </summary>
    public void ReportRefusalsOf(KubeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _status.Attach(source);
    }

    /// <summary>Loads the manifests (if any), builds the first model and starts serving discovery.</summary>
    public static async Task<ControlPlaneHost> StartAsync(ControlPlaneOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.ListenAddress, out var listenAddress))
        {
            throw new ArgumentException($"ListenAddress must be an IP address, not '{options.ListenAddress}'.", nameof(options));
        }

        var defaultInbound = Weft.Routing.Authorization.DefaultInboundPolicies.Parse(options.DefaultInboundPolicy)
            ?? throw new ArgumentException(
                $"DefaultInboundPolicy must be one of {string.Join(", ", Weft.Routing.Authorization.DefaultInboundPolicies.All)}, not '{options.DefaultInboundPolicy}'.", nameof(options));
        var defaultOutbound = Weft.Routing.OutboundPolicies.Parse(options.DefaultOutboundPolicy)
            ?? throw new ArgumentException(
                $"DefaultOutboundPolicy must be one of {string.Join(", ", Weft.Routing.OutboundPolicies.All)}, not '{options.DefaultOutboundPolicy}'.", nameof(options));

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var store = new ObjectStore(options.Admission);
        DirectorySource? directory = null;
        Translator? translator = null;
        WebApplication? app = null;
        MeshCertificateAuthority? ca = null;
        IAsyncDisposable? moreSources = null;
        try
        {
            var caOptions = options.Ca.StateDirectory is null && options.Ca.RootCertPath is null
                ? options.Ca with { StateDirectory = options.StateDirectory }
                : options.Ca;
            ca = MeshCertificateAuthority.LoadOrCreate(caOptions, time);
            Log.CaReady(
                loggerFactory.CreateLogger<MeshCertificateAuthority>(),
                ca.Root.Subject,
                ca.Root.NotAfter.ToUniversalTime(),
                caOptions.RootCertPath ?? (caOptions.StateDirectory is { } caState ? Path.Combine(caState, MeshCertificateAuthority.RootCertificateFile) : "in memory"),
                ca.TrustDomain,
                ca.TrustedRoots.Count);
            if (options.WorkloadTokenLifetime <= TimeSpan.Zero)
            {
                throw new ArgumentException("WorkloadTokenLifetime must be positive.", nameof(options));
            }

            var stateDirectory = options.StateDirectory ?? options.Ca.StateDirectory;
            var tokens = WorkloadTokenIssuer.LoadOrCreate(stateDirectory, time);
            var admin = Serving.AdminCredential.Create(stateDirectory);
            string? trustBundlePath = null;
            if (stateDirectory is not null)
            {
                trustBundlePath = Path.Combine(stateDirectory, TrustBundleFile);
                IdentityFiles.WriteAtomically(trustBundlePath, System.Text.Encoding.ASCII.GetBytes(ca.TrustBundlePem), secret: false, overwrite: true);
            }

            if (options.ManifestDirectory is { } manifests)
            {
                directory = new DirectorySource(manifests, store, loggerFactory.CreateLogger<DirectorySource>(), time) { IgnoredFileNames = options.IgnoredFileNames };
                directory.Start();
            }

            moreSources = options.MoreSources?.Invoke(store);

            translator = new Translator(store, loggerFactory.CreateLogger<Translator>(), time) { DefaultInboundPolicy = defaultInbound, DefaultOutboundPolicy = defaultOutbound };
            translator.Start();

            var subscriptions = new SubscriptionRegistry { MaxStreamsPerPod = options.MaxStreamsPerPod };
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            // Discovery and status are served over TLS in every mode (issue 15): the local mode's certificate names the
            // address it listens on. A client certificate is optional (the token on every call is what authenticates);
            // one that is presented must be a mesh workload certificate.
            var serving = new ServingCertificate(ca, options.Tls ?? new ServingIdentity(["localhost"], [listenAddress]), time);
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
                kestrel.Listen(listenAddress, options.Port, listen =>
                {
                    // ALPN lets HTTP/1.1 clients (an API server calling the webhook, a kubelet probing readiness) share the
                    // port with gRPC when there are such endpoints.
                    listen.Protocols = options.MapEndpoints is not null ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                    listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => serving.Current,
                        HandshakeTimeout = TimeSpan.FromSeconds(10),
                        ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = (certificate, _, _) => CallerAuthentication.ValidateClientCertificate(certificate, ca, time),
                    });
                }));
            // A client gone without closing its connection is found by pings, and its streams end and leave the registry (issue 15).
            builder.Services.Configure<KestrelServerOptions>(kestrel =>
            {
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
                kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            });
            builder.Services.AddSingleton(loggerFactory);
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
            builder.Services.AddRouting();
            // Every request here is small (the largest, a certificate signing request, about 1 KB), and a sidecar's watch holds
            // its request for as long as it lives, up to MaxStreamsPerPod of them per pod: 64 KB bounds what a pod can make
            // the control plane hold that way (the default is 4 MB).
            builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = MaxRequestBytes);
            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton(translator);
            builder.Services.AddSingleton(subscriptions);
            builder.Services.AddSingleton<ModelWatches>();
            builder.Services.AddHostedService(services => services.GetRequiredService<ModelWatches>());
            var status = new ControlPlaneStatus(directory);
            builder.Services.AddSingleton(status);
            builder.Services.AddSingleton(ca);
            builder.Services.AddSingleton(options.WorkloadAuthenticator ?? tokens);
            builder.Services.AddSingleton<CertificateIssuance>();
            builder.Services.AddSingleton(admin);
            if (options.AdminReviewer is not null)
            {
                builder.Services.AddSingleton(options.AdminReviewer);
            }

            builder.Services.AddSingleton(store);
            builder.Services.AddSingleton<CallerAuthentication>();
            builder.Services.AddSingleton<Identity.ControlPlaneClientCertificate>();
            builder.Services.AddSingleton(services => new TapRelay(
                store, ca, services.GetRequiredService<Identity.ControlPlaneClientCertificate>(), time)
            { SidecarInboundPort = options.SidecarInboundPort });
            app = builder.Build();
            app.MapGrpcService<DiscoveryService>();
            options.MapEndpoints?.Invoke(app);
            await app.StartAsync(ct).ConfigureAwait(false);

            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var address = new Uri(bound);
            Log.Listening(loggerFactory.CreateLogger<ControlPlaneHost>(), address);
            return new ControlPlaneHost(app, store, translator, directory, subscriptions, address, time, ca, tokens, options.WorkloadTokenLifetime, admin, trustBundlePath, moreSources, status);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            if (translator is not null)
            {
                await translator.DisposeAsync().ConfigureAwait(false);
            }

            if (directory is not null)
            {
                await directory.DisposeAsync().ConfigureAwait(false);
            }

            if (moreSources is not null)
            {
                await moreSources.DisposeAsync().ConfigureAwait(false);
            }

            ca?.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the translator has published a model built from store version <paramref name="storeVersion"/> or later.</summary>
    public Task WaitForVersionAsync(long storeVersion, CancellationToken ct) => _translator.WaitForStoreVersionAsync(storeVersion, ct);

    /// <summary>Route statuses as <c>weft status</c> and <c>weft validate -o json</c> print them.</summary>
    public string StatusJson() => Discovery.StatusJson.ToJson(Statuses, _time.GetUtcNow());

    /// <summary>The live discovery subscriptions and their sent, ACKed and NACKed versions.</summary>
    public IReadOnlyList<Discovery.V1.Subscription> Subscriptions() => [.. _subscriptions.Snapshot()];

    /// <summary>
    /// A token, valid for <see cref="WorkloadTokenLifetime"/>, that proves to this control plane (and to a restart of it
    /// with the same <see cref="ControlPlaneOptions.StateDirectory"/>) that its bearer is pod
    /// <paramref name="namespace"/>/<paramref name="pod"/> with uid <paramref name="podUid"/>, running as
    /// <paramref name="serviceAccount"/>. The local cluster writes it to the pod's sidecar's token file and rewrites it
    /// before it expires; it is void once that pod is gone from the store.
    /// </summary>
    public string IssueWorkloadToken(string @namespace, string pod, string podUid, string serviceAccount) =>
        _tokens.IssueToken(@namespace, pod, podUid, serviceAccount, _tokenLifetime);

    /// <summary>The file name of <see cref="TrustBundlePath"/> in the state directory.</summary>
    public const string TrustBundleFile = "trust-bundle.pem";

    /// <summary>The largest request message the discovery server reads; a larger one is refused (RESOURCE_EXHAUSTED).</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _translator.DisposeAsync().ConfigureAwait(false);
        if (_directory is not null)
        {
            await _directory.DisposeAsync().ConfigureAwait(false);
        }

        if (_moreSources is not null)
        {
            await _moreSources.DisposeAsync().ConfigureAwait(false);
        }

        CertificateAuthority.Dispose();
    }
}
