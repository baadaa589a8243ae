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
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Serving;
using Weft.ControlPlane.Sources;
using Weft.ControlPlane.Translation;
using Weft.Discovery;
using Weft.Routing;

namespace Weft.ControlPlane;

/// <summary>
/// The control plane in one process: the object store, the manifests directory source, the translator loop and the
/// discovery server (gRPC over HTTP/2 cleartext on Kestrel), and the mesh CA that issues workload certificates over it.
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
        TimeSpan tokenLifetime)
    {
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

    /// <summary>Where the discovery server listens, with the port actually bound: <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri Address { get; }

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

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var store = new ObjectStore(options.Admission);
        DirectorySource? directory = null;
        Translator? translator = null;
        WebApplication? app = null;
        MeshCertificateAuthority? ca = null;
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
            var tokens = WorkloadTokenIssuer.LoadOrCreate(options.StateDirectory ?? options.Ca.StateDirectory, time);

            if (options.ManifestDirectory is { } manifests)
            {
                directory = new DirectorySource(manifests, store, loggerFactory.CreateLogger<DirectorySource>(), time) { IgnoredFileNames = options.IgnoredFileNames };
                directory.Start();
            }

            translator = new Translator(store, loggerFactory.CreateLogger<Translator>(), time) { DefaultInboundPolicy = defaultInbound };
            translator.Start();

            var subscriptions = new SubscriptionRegistry { MaxStreamsPerPod = options.MaxStreamsPerPod };
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            var serving = options.Tls is { } tls ? new ServingCertificate(ca, tls, time) : null;
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
                kestrel.Listen(listenAddress, options.Port, listen =>
                {
                    // Plain text is prior-knowledge HTTP/2 only; over TLS, ALPN lets HTTP/1.1 clients (an API server calling
                    // the webhook, a kubelet probing readiness) share the port with gRPC.
                    listen.Protocols = serving is not null && options.MapEndpoints is not null ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                    if (serving is not null)
                    {
                        listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                        {
                            ServerCertificateSelector = (_, _) => serving.Current,
                            HandshakeTimeout = TimeSpan.FromSeconds(10),
                        });
                    }
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
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton(translator);
            builder.Services.AddSingleton(subscriptions);
            builder.Services.AddSingleton(new ControlPlaneStatus(directory));
            builder.Services.AddSingleton(ca);
            builder.Services.AddSingleton(options.WorkloadAuthenticator ?? tokens);
            builder.Services.AddSingleton<CertificateIssuance>();
            app = builder.Build();
            app.MapGrpcService<DiscoveryService>();
            options.MapEndpoints?.Invoke(app);
            await app.StartAsync(ct).ConfigureAwait(false);

            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var address = new Uri(bound);
            Log.Listening(loggerFactory.CreateLogger<ControlPlaneHost>(), address);
            return new ControlPlaneHost(app, store, translator, directory, subscriptions, address, time, ca, tokens, options.WorkloadTokenLifetime);
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
    /// A token that proves to this control plane (and to a restart of it with the same <see cref="ControlPlaneOptions.StateDirectory"/>)
    /// that its bearer is pod <paramref name="namespace"/>/<paramref name="pod"/> running as <paramref name="serviceAccount"/>;
    /// the local cluster hands it to the pod's sidecar (<c>WEFT_TOKEN</c>), which gets its certificate with it.
    /// </summary>
    public string IssueWorkloadToken(string @namespace, string pod, string serviceAccount) =>
        _tokens.IssueToken(@namespace, pod, serviceAccount, _tokenLifetime);

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

        CertificateAuthority.Dispose();
    }
}
