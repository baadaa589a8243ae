using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.Echo.Grpc;
using Weft.Echo.Http;
using Weft.Echo.Tcp;

namespace Weft.Echo;

/// <summary>
/// Weft's test workload: a re-implementation of the upstream Istio echo app's server (the image the Gateway API
/// mesh conformance suite deploys), answering on HTTP, gRPC and TCP ports in the echo text format.
/// </summary>
/// <remarks>
/// Each HTTP or gRPC port is its own small Kestrel host, so a port's pipeline and its bound address are known
/// without routing on the local port (ports may be 0 and assigned by the OS). A TLS port whose certificate
/// cannot be loaded is skipped with a warning: local mode has no <c>/cert.crt</c>.
/// </remarks>
public sealed class EchoServer : IAsyncDisposable
{
    private static readonly TimeSpan PrefaceTimeout = TimeSpan.FromSeconds(130);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<WebApplication> _hosts = [];
    private readonly List<TcpEchoListener> _tcpListeners = [];
    private readonly List<EchoEndpoint> _endpoints = [];
    private readonly List<int> _skippedPorts = [];
    private int _state; // 0 new, 1 started, 2 stopped

    public EchoServer(EchoOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggerFactory = loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Weft.Echo");
        _time = timeProvider ?? TimeProvider.System;
    }

    public EchoOptions Options { get; }

    /// <summary>The ports being served, with their bound addresses; complete once <see cref="StartAsync"/> returns.</summary>
    public IReadOnlyList<EchoEndpoint> Endpoints => _endpoints;

    /// <summary>Configured ports that are not served (a TLS port without a usable certificate).</summary>
    public IReadOnlyList<int> SkippedPorts => _skippedPorts;

    /// <summary>The first served endpoint of a kind.</summary>
    /// <exception cref="InvalidOperationException">No port of that kind is served.</exception>
    public EchoEndpoint Endpoint(EchoPortKind kind) =>
        _endpoints.FirstOrDefault(e => e.Kind == kind) ?? throw new InvalidOperationException($"no {kind} port is served");

    /// <summary>
    /// Runs an echo server from upstream echo app arguments until <paramref name="cancellationToken"/> is cancelled
    /// (the host wires SIGTERM/Ctrl-C to it). Returns the process exit code: 0 after a clean stop, 1 if a port
    /// could not be bound, 2 for bad arguments.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            // A bind failure is reported once, by RunAsync, without the host's stack trace.
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical));
        return await RunAsync(args, loggerFactory, cancellationToken);
    }

    /// <inheritdoc cref="RunAsync(string[], CancellationToken)"/>
    public static async Task<int> RunAsync(string[] args, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("Weft.Echo");
        EchoOptions options;
        try
        {
            options = EchoOptions.Parse(args);
        }
        catch (FormatException e)
        {
            EchoLog.Failed(logger, e.Message);
            return 2;
        }

        await using var server = new EchoServer(options, loggerFactory);
        try
        {
            await server.StartAsync(cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop.
        }
        catch (Exception e)
        {
            EchoLog.Failed(logger, e.Message);
            return 1;
        }

        await server.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Binds and starts every port; returns when all are accepting connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("an EchoServer starts once");
        }

        foreach (var warning in Options.Warnings)
        {
            EchoLog.ArgumentIgnored(_logger, warning);
        }

        var tlsPorts = Options.TlsPorts.ToHashSet();
        var certificate = tlsPorts.Count > 0 ? LoadCertificate() : null;

        foreach (var port in Options.HttpPorts)
        {
            if (Plan(port, tlsPorts, certificate, EchoPortKind.Http, EchoPortKind.Https) is { } kind)
            {
                await StartWebAsync(kind, port, certificate, cancellationToken);
            }
        }

        foreach (var port in Options.GrpcPorts)
        {
            if (Plan(port, tlsPorts, certificate, EchoPortKind.Grpc, EchoPortKind.GrpcTls) is { } kind)
            {
                await StartWebAsync(kind, port, certificate, cancellationToken);
            }
        }

        foreach (var port in Options.TcpPorts)
        {
            if (Plan(port, tlsPorts, certificate, EchoPortKind.Tcp, EchoPortKind.TcpTls) is { } kind)
            {
                var listener = new TcpEchoListener(
                    Options,
                    new IPEndPoint(Options.BindAddress, port),
                    kind == EchoPortKind.TcpTls ? certificate : null,
                    _logger);
                _tcpListeners.Add(listener);
                listener.Start();
                Served(new EchoEndpoint(kind, port, listener.EndPoint));
            }
        }
    }

    /// <summary>Stops accepting, lets in-flight requests finish briefly, and closes every port.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        var stopping = new List<Task>();
        stopping.AddRange(_hosts.Select(h => h.StopAsync(cancellationToken)));
        stopping.AddRange(_tcpListeners.Select(l => l.DisposeAsync().AsTask()));
        await Task.WhenAll(stopping);
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        EchoLog.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        // Also releases a server whose StartAsync failed part way.
        await StopAsync(CancellationToken.None);
        Interlocked.CompareExchange(ref _state, 2, 0);
    }

    private EchoPortKind? Plan(int port, HashSet<int> tlsPorts, X509Certificate2? certificate, EchoPortKind plain, EchoPortKind tls)
    {
        if (!tlsPorts.Contains(port))
        {
            return plain;
        }

        if (certificate is null)
        {
            _skippedPorts.Add(port);
            EchoLog.PortSkipped(_logger, port, EchoEndpoint.Describe(tls), "no usable TLS certificate (--crt/--key)");
            return null;
        }

        return tls;
    }

    private X509Certificate2? LoadCertificate()
    {
        var (crt, key) = (Options.CertificatePath, Options.KeyPath);
        if (string.IsNullOrEmpty(crt) || string.IsNullOrEmpty(key) || !File.Exists(crt) || !File.Exists(key))
        {
            EchoLog.ArgumentIgnored(_logger, $"TLS certificate '{crt}' or key '{key}' not found; TLS ports will not be served");
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(crt, key);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            EchoLog.ArgumentIgnored(_logger, $"cannot load TLS certificate '{crt}' with key '{key}': {e.Message}; TLS ports will not be served");
            return null;
        }
    }

    private async Task StartWebAsync(EchoPortKind kind, int port, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        var isGrpc = kind is EchoPortKind.Grpc or EchoPortKind.GrpcTls;
        var isTls = kind is EchoPortKind.Https or EchoPortKind.GrpcTls;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EchoServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        // The host process owns signals and lifetime; these hosts only start and stop when told.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(Options);
        builder.Services.AddSingleton(_time);
        if (isTls)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // h2c connections look like TLS to Kestrel (see H2cPriorKnowledge); accept their `:scheme http`.
            kestrel.AllowAlternateSchemes = true;
            kestrel.Listen(new IPEndPoint(Options.BindAddress, port), listen =>
            {
                if (isTls)
                {
                    listen.Protocols = isGrpc ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(certificate!);
                }
                else if (isGrpc)
                {
                    listen.Protocols = HttpProtocols.Http2;
                }
                else
                {
                    listen.UseH2cPriorKnowledge(PrefaceTimeout);
                }
            });
        });

        if (isGrpc)
        {
            builder.Services.AddGrpc();
        }

        var app = builder.Build();
        _hosts.Add(app);
        if (isGrpc)
        {
            app.MapGrpcService<EchoGrpcService>();
        }
        else
        {
            var handler = new EchoHttpHandler(Options, _time, _loggerFactory.CreateLogger<EchoHttpHandler>());
            // Recognises WebSocket upgrades (context.WebSockets); the handler decides what to do with them.
            app.UseWebSockets();
            app.Run(handler.HandleAsync);
        }

        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var boundPort = address is null ? port : BindingPort(address, port);
        Served(new EchoEndpoint(kind, port, new IPEndPoint(Options.BindAddress, boundPort)));
    }

    private static int BindingPort(string address, int fallback)
    {
        // Kestrel reports e.g. "http://127.0.0.1:41234" or "https://[::]:8443".
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1).TrimEnd('/'), out var bound) ? bound : fallback;
    }

    private void Served(EchoEndpoint endpoint)
    {
        _endpoints.Add(endpoint);
        EchoLog.Listening(_logger, endpoint.EndPoint.ToString(), EchoEndpoint.Describe(endpoint.Kind));
    }

    private sealed class EmbeddedHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
