using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weft.Discovery;
using Weft.Discovery.Identity;
using Weft.Proxy.Admin;
using Weft.Proxy.Discovery;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Inbound;
using Weft.Proxy.L4;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Outbound;
using Weft.Proxy.Security;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy;

/// <summary>
/// The sidecar: three Kestrel listeners on the pod IP (outbound, inbound, admin) in one server, each tagging its
/// connections with a <see cref="ListenerRole"/> so one pipeline dispatches to the right handler.
/// </summary>
public static class ProxyHost
{
    /// <summary>Runs the sidecar until <paramref name="ct"/> is cancelled (the <c>weft proxy</c> verb and <c>weft-proxy</c>).</summary>
    public static async Task RunAsync(ProxyOptions options, CancellationToken ct)
    {
        // A sidecar process of its own: nobody but a CAP_SYS_PTRACE holder reads its token or key through /proc.
        ProcessHardening.DisableDumping();
        await using var proxy = await StartAsync(options, ct);
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>The control plane's address when its URL names an IP literal (the local mesh's); null otherwise.</summary>
    private static IPEndPoint? ControlPlaneEndpoint(Uri? controlPlane) =>
        controlPlane is not null && IPAddress.TryParse(controlPlane.IdnHost.Trim('[', ']'), out var address)
            ? new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, controlPlane.Port)
            : null;

    /// <summary>Binds the listeners and returns once they accept connections.</summary>
    public static async Task<RunningProxy> StartAsync(ProxyOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Destinations is null && options.ControlPlane is null)
        {
            throw new ArgumentException("Either ControlPlane or Destinations must be set.", nameof(options));
        }

        // Checked before anything starts: the trimmer is made once the listeners are up.
        if (options.IdleTrimInterval is { } idle && IdleTrim.Invalid(idle, options.IdleTrimGrowth, options.IdleTrimBusyCpu) is { } invalid)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"IdleTrim's {invalid.Name} {invalid.Problem} (IdleTrimInterval null: never).");
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "weft-proxy" });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.AllowAlternateSchemes = true; // h2c and HTTP/2 inside mTLS tunnels send :scheme http (see H2cFeatures)
            kestrel.AllowHostHeaderOverride = true; // absolute-form: the target's authority is the Host (RFC 9112 3.2.2)
            kestrel.Limits.MaxRequestBodySize = null; // a proxy passes bodies through; limits are the app's business
            // The same deadlines as the fast path (Http1Relay): a head in all from its first byte, then 408; idle keep-alive.
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadTimeout;
            kestrel.Limits.KeepAliveTimeout = options.KeepAliveTimeout;
        });
        builder.Services.AddHttpForwarder();
        // The bound listen sockets, kept so a test can take one away (its accept loop ends: /ready and /live must notice).
        var listenSockets = new System.Collections.Concurrent.ConcurrentQueue<System.Net.Sockets.Socket>();
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(sockets =>
        {
            sockets.CreateBoundListenSocket = endpoint =>
            {
                var socket = Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                listenSockets.Enqueue(socket);
                return socket;
            };
            // A listener's reads run on the socket's completion, not on a thread-pool worker it wakes (InlineCompletions).
            sockets.UnsafePreferInlineScheduling = InlineCompletions.Enabled;
        });
        ConfigureLogging(builder.Logging, options);

        // Everything is made in the order it is needed, each value before whatever uses it: the host (for its logger
        // factory, forwarder and stopping token), the listeners (not bound yet: app.StartAsync binds them), the proxy's
        // parts, then each listener's connection middleware from those parts, and the request handler.
        var app = builder.Build();
        var kestrelOptions = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        var outbound = Listen(kestrelOptions, options.OutboundAddress, options.OutboundPort, HttpProtocols.Http1AndHttp2);
        var inbound = Listen(kestrelOptions, options.PodIp, options.InboundPort, HttpProtocols.Http1AndHttp2);
        var admin = Listen(kestrelOptions, options.PodIp, options.AdminPort, HttpProtocols.Http1);

        // A listener's port is known once Kestrel has bound it (port 0: the OS picks one), which is before it accepts a
        // connection: these are read per connection or request, never during start-up.
        bool IsOwnPort(int port) => port == outbound.IPEndPoint!.Port || port == inbound.IPEndPoint!.Port || port == admin.IPEndPoint!.Port;
        int PeerInboundPort() => options.PeerInboundPort ?? inbound.IPEndPoint!.Port;

        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var stopping = app.Lifetime.ApplicationStopping;
        var owned = new List<IAsyncDisposable>();
        var destinations = options.Destinations;
        var inboundTable = options.InboundTables;
        if (inboundTable is null && options.InboundPolicy is { } fixedInbound)
        {
            var table = Weft.Routing.Authorization.AuthorizationTable.Build(fixedInbound);
            inboundTable = () => table;
        }

        // Every discovery call carries the pod's token (issue 15), read afresh from the token file that the kubelet (or
        // weft up) rewrites before it expires, and the workload certificate once there is one.
        Func<string?> token = options.TokenFile is { } tokenFile ? new TokenFile(tokenFile).Read : () => options.Token;
        SidecarIdentity? identity = null;
        var credentials = new DiscoveryCredentials { Token = token, ClientCertificate = () => identity?.Current?.Certificate };
        if (destinations is null)
        {
            var discoveryClient = new DiscoveryClient(
                options.ControlPlane!, options.PodNamespace, $"{options.PodNamespace}/{options.PodName}",
                loggerFactory.CreateLogger("Weft.Discovery"), options.TimeProvider, options.ControlPlaneRoots, credentials)
            {
                ClientLevel = options.Level,
                MaxSubscriptions = options.MaxDiscoverySubscriptions,
                IdleTimeout = options.DiscoveryIdleTimeout,
                NotFoundTtl = options.NotFoundTtl,
                NotFoundLimit = options.NotFoundLimit,
            };
            var discovery = new DiscoveryDestinationSource(discoveryClient);
            owned.Add(discovery);
            destinations = discovery;
            if (inboundTable is null)
            {
                // The pod's own inbound policy (issue 14): each request reads the entry in force once (a volatile read).
                discoveryClient.WatchInbound();
                inboundTable = () => discoveryClient.Inbound?.Table;
            }
        }

        if (options.Identity is { } fixedIdentity)
        {
            identity = SidecarIdentity.Fixed(fixedIdentity);
        }
        else if ((options.TokenFile is not null || options.Token is not null) && options.ControlPlane is { } controlPlane)
        {
            identity = SidecarIdentity.Start(
                new WorkloadIdentityOptions
                {
                    ControlPlane = controlPlane,
                    ControlPlaneRoots = options.ControlPlaneRoots,
                    Token = token,
                    Time = options.TimeProvider,
                },
                loggerFactory.CreateLogger("Weft.Identity"));
        }

        if (identity is not null)
        {
            owned.Add(identity);
        }

        // Where the outbound port never forwards, nor an external backend's address leads: the proxy's own listeners (traffic would loop through it forever) and the
        // control plane (issue 15: in process mode any local process can reach the outbound port).
        var controlPlaneEndpoint = ControlPlaneEndpoint(options.ControlPlane);
        Func<IPAddress, int, bool> offLimits = (address, port) =>
        {
            // One address, every spelling: ::ffff:127.0.0.1 is 127.0.0.1 to a dual-mode socket, and 0.0.0.0/8 or :: is
            // this host (Linux connects it to loopback), never a destination; a listener on every address is on loopback too.
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            return External.ExternalConnector.IsThisNetwork(address)
                || ((address.Equals(options.PodIp) || address.Equals(options.OutboundAddress) || IPAddress.IsLoopback(address)) && IsOwnPort(port))
                || (controlPlaneEndpoint is { } cp && port == cp.Port && (cp.Address.Equals(address) || IPAddress.Any.Equals(cp.Address) || IPAddress.IPv6Any.Equals(cp.Address)));
        };
        var connections = new MtlsConnections();
        var tls = identity is null ? null : new MeshTls(identity, connections, options.TimeProvider, loggerFactory.CreateLogger("Weft.Proxy.Mtls"), options.TlsHandshakeTimeout);
        var connector = new MeshConnector(tls, PeerInboundPort);
        var resolver = options.Nameservers is { } nameservers
            ? new External.ExternalResolver(options.Resolve, nameservers, options.TimeProvider)
            : External.ExternalResolver.FromSystem(options.Resolve, options.TimeProvider);
        var externals = new External.ExternalConnector(resolver, offLimits, options.TimeProvider);
        var client = new ForwardingClient(connector, externals, options.OwnHttp2Client);
        owned.Add(new DisposeAdapter(client));
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var balancer = new PowerOfTwoChoices();
        var stats = new ProxyStats();
        var ready = false;
        var outboundLogger = loggerFactory.CreateLogger("Weft.Proxy.Outbound");
        var inboundLogger = loggerFactory.CreateLogger("Weft.Proxy.Inbound");
        var local = new Metrics.LocalWorkload(options.PodNamespace, options.Workload ?? options.PodName, () => identity?.Current?.SpiffeId);
        var metrics = new Metrics.ProxyMetrics(local, options.TimeProvider) { Subscriptions = destinations is DiscoveryDestinationSource source ? () => source.Counts : null };
        var authorization = inboundTable is null ? null : new InboundAuthorization(inboundTable, metrics, inboundLogger, options.TimeProvider);
        var resilient = new Resilience.ResilientForwarder(forwarder, client, balancer, new Resilience.RetryBudgets(options.TimeProvider), metrics,
            options.TimeProvider, outboundLogger, externals);
        var (clientTracer, serverTracer) = Tracers(options, loggerFactory, owned);
        var outside = new OutsideMesh(destinations, externals, offLimits, metrics, outboundLogger, options.TimeProvider);

        // Issue 16: the live request feed, read by the control plane only (an mTLS connection on the inbound port).
        Func<string?> ownIdentity = () => identity?.Current?.SpiffeId;
        var tap = new Tap.TapHub(local, options.PodName, options.TimeProvider);
        var tapEndpoint = new Tap.TapEndpoint(tap, metrics.Window, ownIdentity, options.TimeProvider, loggerFactory.CreateLogger("Weft.Proxy.Tap"));
        var outboundHandler = new OutboundHandler(destinations, forwarder, resilient, client,
            new RequestMirror(client, balancer, externals, outboundLogger, local.HeaderValue), metrics, options.TimeProvider, PeerInboundPort,
            outside, outboundLogger, tap)
        { Tracing = clientTracer };
        var inboundHandler = new InboundHandler(options.PodIp, forwarder, client, IsOwnPort, inboundLogger, metrics, options.TimeProvider, authorization, tap) { Tracing = serverTracer };
        Http1.Http1Relay? inboundRelay = null, outboundRelay = null;
        if (options.Http1FastPath)
        {
            var appConnections = new Http1.UpstreamPool(time: options.TimeProvider);
            owned.Add(new DisposeAdapter(appConnections));
            inboundRelay = new Http1.Http1Relay(appConnections, new InboundHttp1Route(options.PodIp.ToString(), inboundHandler, metrics, stats, tap) { Tracing = serverTracer },
                inboundLogger, options.TimeProvider, stopping, options.Http1ActivityTimeout, options.KeepAliveTimeout, options.RequestHeadTimeout);
            var peerConnections = new Http1.UpstreamPool(tls, options.TimeProvider);
            owned.Add(new DisposeAdapter(peerConnections));
            outboundRelay = new Http1.Http1Relay(peerConnections, new OutboundHttp1Route(destinations, balancer, tls is not null, PeerInboundPort, metrics, stats, tap) { Tracing = clientTracer },
                outboundLogger, options.TimeProvider, stopping, options.Http1ActivityTimeout, options.KeepAliveTimeout, options.RequestHeadTimeout);
        }

        var inboundOpaque = new InboundOpaqueTunnel(options.PodIp, IsOwnPort, inboundLogger, authorization, metrics);
        var l4 = new L4Proxy(destinations, connector, externals, balancer, outside,
            options.ProtocolDetectionTimeout, outboundLogger, metrics);
        var hostLogger = loggerFactory.CreateLogger("Weft.Proxy");
        var (outboundGuard, inboundGuard, adminGuard) = Guards(options, hostLogger);
        ListenerGuard[] guards = [outboundGuard, inboundGuard, adminGuard];
        metrics.Listeners = guards;
        var adminHandler = new AdminHandler(destinations, stats, () => Volatile.Read(ref ready) && (authorization is null || authorization.Ready), identity, connections, metrics,
            AppProbesOf(options, owned), options.PodIp, [outboundGuard, inboundGuard]);

        // Each listener's connection middleware, outermost first. Kestrel composes them when it binds, giving the last its
        // HTTP layer (http). The outbound and inbound listeners end in middlewares made together from that one delegate:
        // they share a tunnel (outbound) or are the branches of the first byte (inbound).
        outbound.Use(outboundGuard.Middleware);
        outbound.Use(http =>
        {
            var tunnel = new OutboundTunnel(http, l4, outboundRelay, stopping);
            ConnectionDelegate connect = new ConnectTunnelMiddleware(http, outboundLogger, tunnel, outboundRelay, options.RequestHeadTimeout, stopping).OnConnectionAsync;
            return options.Capture ? new CapturedOutboundMiddleware(connect, tunnel).OnConnectionAsync : connect;
        });
        inbound.Use(inboundGuard.Middleware);
        if (options.Capture)
        {
            inbound.Use(next => new CapturedInboundMiddleware(next, tls, options.Mtls, options.PodIp, IsOwnPort, inboundLogger, stopping, authorization).OnConnectionAsync);
        }

        inbound.Use(http =>
        {
            var plaintext = new InboundPlaintextMiddleware(http, tls, options.Mtls, inboundOpaque, inboundRelay, inboundLogger, stopping);
            var mtls = tls is null ? null : new InboundTlsMiddleware(http, tls, inboundOpaque, inboundRelay, stopping, tapEndpoint);
            return new InboundSniffMiddleware(mtls is null ? null : mtls.OnConnectionAsync, plaintext.OnConnectionAsync,
                tls?.HandshakeTimeout ?? options.RequestHeadTimeout, stopping).OnConnectionAsync;
        });
        admin.Use(adminGuard.Middleware);

        app.Run(async context =>
        {
            var role = context.Features.Get<ListenerRoleFeature>()?.Role ?? ListenerRole.Admin;
            var progress = context.Features.Get<ConnectionProgress>(); // the connection's: mid-request until the end
            progress?.RequestStarted();
            try
            {
                switch (role)
                {
                    case ListenerRole.Outbound:
                        await outboundHandler.HandleAsync(context);
                        break;
                    case ListenerRole.Inbound:
                        await inboundHandler.HandleAsync(context);
                        break;
                    default:
                        await adminHandler.HandleAsync(context);
                        return;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                ProxyLog.Unhandled(hostLogger, ex, context.Request.Method, context.Request.Path.Value ?? "", role.ToString());
                if (!context.Response.HasStarted)
                {
                    context.Response.Clear();
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            }
            finally
            {
                progress?.RequestEnded();

                // In the finally: a request whose client went away (a cancellation let through above) counts too, as other.
                if (role == ListenerRole.Outbound)
                {
                    stats.RecordOutbound(Metrics.AnsweredStatus.Of(context));
                }
                else if (role == ListenerRole.Inbound)
                {
                    stats.RecordInbound(Metrics.AnsweredStatus.Of(context));
                }
            }
        });

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            foreach (var o in owned)
            {
                await o.DisposeAsync();
            }

            throw;
        }

        outboundGuard.Endpoint = outbound.IPEndPoint;
        inboundGuard.Endpoint = inbound.IPEndPoint;
        adminGuard.Endpoint = admin.IPEndPoint;
        Volatile.Write(ref ready, true);
        if (options.CompactAfterStart)
        {
            // After /ready answers, so start→ready does not include it (a few ms).
            ProxyLog.StartupPagesDropped(hostLogger, ProcessMemory.GiveBack() / 1024);
        }

        // Admin connections are not activity: probes and scrapes come to an idle sidecar too.
        var idleTrim = options.IdleTrimInterval is { } interval
            ? new IdleTrim(() => outboundGuard.Admitted + inboundGuard.Admitted + stats.Total, interval, options.IdleTrimGrowth,
                options.IdleTrimBusyCpu, options.TimeProvider, hostLogger, options.IdleTrimProcess)
            : null;
        var proxy = new RunningProxy(app, outbound.IPEndPoint!, inbound.IPEndPoint!, admin.IPEndPoint!, [.. owned])
        {
            ListenSockets = [.. listenSockets],
            TraceExporter = clientTracer?.Exporter,
            IdleTrim = idleTrim,
        };
        ProxyLog.Started(hostLogger, $"{options.PodNamespace}/{options.PodName}",
            proxy.OutboundEndpoint.ToString(), proxy.InboundEndpoint.ToString(), proxy.AdminEndpoint.ToString());
        return proxy;
    }

    /// <summary>
    /// The listeners' tracers when tracing is on: one exporter for both (spans carry the pod as their resource:
    /// service.name (the workload), k8s.namespace.name, k8s.pod.name), CLIENT spans outbound, SERVER spans inbound.
    /// </summary>
    private static (Tracing.HttpTracer? Client, Tracing.HttpTracer? Server) Tracers(ProxyOptions options, ILoggerFactory loggers, List<IAsyncDisposable> owned)
    {
        if (options.Tracing is not { Collector: { } collector } settings)
        {
            return (null, null);
        }

        KeyValuePair<string, string>[] resource =
        [
            new("service.name", options.Workload ?? options.PodName),
            new("service.namespace", options.PodNamespace),
            new("k8s.namespace.name", options.PodNamespace),
            new("k8s.pod.name", options.PodName),
        ];
        var exporter = new Tracing.OtlpExporter(collector, resource, options.TimeProvider, loggers.CreateLogger("Weft.Proxy.Tracing"), options.TraceExportInterval);
        owned.Add(exporter);
        return (new Tracing.HttpTracer(Tracing.SpanKind.Client, settings, exporter, options.TimeProvider),
            new Tracing.HttpTracer(Tracing.SpanKind.Server, settings, exporter, options.TimeProvider));
    }

    /// <summary>
    /// Adds a listener to Kestrel (bound by app.StartAsync) and returns its options, for its connection middleware and,
    /// once bound, its endpoint.
    /// </summary>
    private static ListenOptions Listen(KestrelServerOptions kestrel, IPAddress address, int port, HttpProtocols protocols)
    {
        ListenOptions? listener = null;
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = protocols;
            listener = listen;
        });
        return listener ?? throw new InvalidOperationException("Kestrel did not configure the listener as it was added.");
    }

    /// <summary>
    /// The listeners' guards (connection limits that fit the descriptor limit), and the flood watch: once a flood of
    /// connections (at least <see cref="FloodSize"/> at once) is down to an eighth, one compacting collection returns its
    /// memory to the OS (workstation GC, non-concurrent, would otherwise keep the heap it grew to until the next GC).
    /// </summary>
    private static (ListenerGuard Outbound, ListenerGuard Inbound, ListenerGuard Admin) Guards(ProxyOptions options, ILogger logger)
    {
        var descriptors = ProcessHardening.DescriptorLimit();
        var (proxied, admin) = ProcessHardening.FitConnections(options.MaxConnections, options.MaxAdminConnections, descriptors);
        if (proxied < options.MaxConnections || admin < options.MaxAdminConnections)
        {
            ProxyLog.LimitsLowered(logger, descriptors ?? 0, proxied, proxied, admin);
        }

        var guards = (Outbound: new ListenerGuard(ListenerRole.Outbound, proxied, logger, options.TimeProvider),
            Inbound: new ListenerGuard(ListenerRole.Inbound, proxied, logger, options.TimeProvider),
            Admin: new ListenerGuard(ListenerRole.Admin, admin, logger, options.TimeProvider));
        long peak = 0;
        var collecting = 0;
        long Open() => (long)guards.Outbound.Active + guards.Inbound.Active + guards.Admin.Active;
        void Opened()
        {
            var open = Open();
            if (open > Volatile.Read(ref peak))
            {
                Volatile.Write(ref peak, open); // racy, and need not be exact: a flood is thousands
            }
        }

        void Closed()
        {
            var open = Open();
            var high = Volatile.Read(ref peak);
            if (high < FloodSize || open > high / 8 || Interlocked.Exchange(ref collecting, 1) == 1)
            {
                return;
            }

            Volatile.Write(ref peak, open);
            _ = Task.Run(async () =>
            {
                ProcessMemory.Compact();
                ProxyLog.FloodOver(logger, high, open);
                // Kestrel's memory pool lets its idle blocks go over the next seconds; nothing else may allocate enough
                // for a GC to take them then, so one more collection after that.
                await Task.Delay(FloodTrimDelay, options.TimeProvider);
                ProcessMemory.Compact();
                Volatile.Write(ref collecting, 0);
            });
        }

        foreach (var guard in new[] { guards.Outbound, guards.Inbound, guards.Admin })
        {
            guard.Opened = Opened;
            guard.Closed = Closed;
        }

        return guards;
    }

    /// <summary>How many connections at once make a flood whose end is worth a compacting collection.</summary>
    private const int FloodSize = 1000;

    /// <summary>When the second collection after a flood runs (Kestrel's pool trims idle blocks every 10 s).</summary>
    private static readonly TimeSpan FloodTrimDelay = TimeSpan.FromSeconds(25);

    private static void ConfigureLogging(ILoggingBuilder logging, ProxyOptions options)
    {
        logging.AddFilter("Microsoft", LogLevel.Warning);
        // YARP logs every forward at Information and its failures next to ours; the proxy's own line (ForwardFailed) is enough.
        logging.AddFilter("Yarp", LogLevel.Error);
        // One line per malformed request from the app (Kestrel logs those at Debug in their own category).
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Debug);
        if (options.ConfigureLogging is { } configure)
        {
            configure(logging);
            return;
        }

        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddProvider(new LineLoggerProvider(Console.Out, options.TimeProvider));
    }

    /// <summary>The app's rewritten kubelet probes, when the injector sent any (owned by the host, for its HTTP client).</summary>
    private static AppProbes? AppProbesOf(ProxyOptions options, List<IAsyncDisposable> owned)
    {
        if (options.AppProbes.Count == 0)
        {
            return null;
        }

        var probes = new AppProbes(options.AppProbes);
        owned.Add(new DisposeAdapter(probes));
        return probes;
    }

    private sealed class DisposeAdapter(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
