using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// A route's backend outside the mesh (an XBackend) through a real sidecar: the sidecar dials its own resolution of the
/// host name, sends the external Host and no mesh header, originates TLS for opaque connections too, and refuses
/// what it cannot verify or resolve with words that say why.
/// </summary>
public sealed class ExternalBackendForwardingTests : IDisposable
{
    private static readonly RuleOrigin Origin = new() { RouteKind = "TCPRoute", RouteNamespace = "default", RouteName = "db", RuleIndex = 0, MatchIndex = 0 };
    private readonly TestCertificates _ca = new("Example CA");

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task HTTP_to_an_XBackend_reaches_the_resolved_address_with_its_Host_and_no_mesh_header()
    {
        await using var server = await TestBackend.StartAsync("outside");
        var backend = External("api.example.test", server.Port, tls: null);
        await using var mesh = await StartAsync(Http("api", 80, backend), ("api.example.test", IPAddress.Loopback));

        var (response, echo) = await mesh.GetAsync("http://api:80/orders?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"api.example.test:{server.Port}", echo!.Headers["Host"]);
        Assert.Equal("/orders", echo.Path);
        Assert.DoesNotContain(echo.Headers.Keys, name => name.StartsWith("weft-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_address_refusing_connections_is_passed_over_for_the_next_without_a_retry_policy()
    {
        // Two addresses of one name, on the same port: only 127.0.0.2 listens there.
        using var listener = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stopping = new CancellationTokenSource();
        var serving = ServeOkAsync(listener, stopping.Token);
        await using var mesh = await StartAsync(Http("api", 80, External("api.example.test", port, tls: null)),
            ("api.example.test", IPAddress.Loopback), ("api.example.test", IPAddress.Parse("127.0.0.2")));

        for (var i = 0; i < 20; i++)
        {
            using var response = await mesh.Client.GetAsync("http://api:80/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await stopping.CancelAsync();
        listener.Stop();
        await serving;
    }

    [Fact]
    public async Task An_external_name_that_does_not_resolve_is_503_naming_it()
    {
        await using var mesh = await StartAsync(Http("api", 80, External("nowhere.example.test", 443, tls: null)));

        var (response, _) = await mesh.GetAsync("http://api:80/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("cannot resolve nowhere.example.test", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HTTP_to_an_XBackend_whose_certificate_another_CA_signed_is_502_naming_the_ConfigMap()
    {
        using var other = new TestCertificates("Other CA");
        using var certificate = other.Server(["api.example.test"]);
        var requests = 0;
        await using var server = await TlsServer.StartAsync(certificate, async stream =>
        {
            if (await stream.ReadAsync(new byte[1]) > 0)
            {
                Interlocked.Increment(ref requests);
            }
        });
        await using var mesh = await StartAsync(Http("api", 80, External("api.example.test", server.Port, Tls("api.example.test"))), ("api.example.test", IPAddress.Loopback));

        var (response, _) = await mesh.GetAsync("http://api:80/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("is not signed by ConfigMap default/example-ca", body, StringComparison.Ordinal);
        Assert.Contains($"TLS to api.example.test:{server.Port}", body, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref requests)); // no byte of the request went out over a connection it could not verify
    }

    [Fact]
    public async Task TCPRoute_to_an_XBackend_originates_TLS_with_the_SNI_while_the_app_sends_plaintext()
    {
        using var certificate = _ca.Server(["db.example.test"]);
        await using var server = await EchoHelloAsync(certificate);
        await using var mesh = await StartAsync(Tcp("db", 5432, External("db.example.test", server.Port, Tls("db.example.test"))), ("db.example.test", IPAddress.Loopback));

        await using var tunnel = await OpenTunnelAsync(mesh, "db:5432");
        await tunnel.WriteAsync("hello"u8.ToArray());
        using var reader = new StreamReader(tunnel);

        Assert.Equal("hello over TLS, SNI db.example.test", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TCPRoute_to_an_XBackend_with_a_certificate_it_cannot_verify_is_closed_and_logged()
    {
        using var other = new TestCertificates("Other CA");
        using var certificate = other.Server(["db.example.test"]);
        await using var server = await TlsServer.StartAsync(certificate, stream => stream.WriteAsync("never"u8.ToArray()).AsTask());
        await using var mesh = await StartAsync(Tcp("db", 5432, External("db.example.test", server.Port, Tls("db.example.test"))), ("db.example.test", IPAddress.Loopback));

        await using var tunnel = await OpenTunnelAsync(mesh, "db:5432");
        await tunnel.WriteAsync("hello"u8.ToArray());

        Assert.Equal(0, await tunnel.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.TrueAsync(() => mesh.Logs.Lines.Any(l => l.Contains("is not signed by ConfigMap default/example-ca", StringComparison.Ordinal)), "the refusal is logged");
    }

    [Fact]
    public async Task A_Service_backend_under_a_BackendTLSPolicy_gets_TLS_to_its_app_through_its_sidecar()
    {
        using var certificate = _ca.Server(["legacy.example.test"]);
        await using var app = await TlsServer.StartAsync(certificate, async stream =>
        {
            var head = await TestMesh.ReadHeadAsync(stream, CancellationToken.None);
            var body = Encoding.ASCII.GetBytes($"{head.Split('\r')[0]} over TLS, SNI {((SslStream)stream).TargetHostName}");
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n"));
            await stream.WriteAsync(body);
        });
        var backend = new BackendPolicy
        {
            Namespace = "default",
            Name = "legacy",
            Port = 443,
            Endpoints = [new EndpointPolicy { Address = "127.0.0.1", Port = app.Port, Pod = "default/legacy-1" }],
            Tls = Tls("legacy.example.test") with { Source = "BackendTLSPolicy default/legacy" },
        };
        await using var mesh = await StartAsync(Http("legacy", 80, backend));

        using var response = await mesh.Client.GetAsync("http://legacy:80/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET /orders HTTP/1.1 over TLS, SNI legacy.example.test", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_address_the_mesh_does_not_know_with_the_Host_of_a_declared_external_host_goes_to_the_sidecar_s_own_resolution()
    {
        await using var server = await TestBackend.StartAsync("outside");
        await using var mesh = await StartAsync(Declared("api.example.test", server.Port, tls: null), ("api.example.test", IPAddress.Loopback));

        // The app resolved the name to 127.0.0.9 (nothing listens there) and connects to that address: only the Host names the host.
        await using var tunnel = await OpenTunnelAsync(mesh, $"127.0.0.9:{server.Port}");
        await tunnel.WriteAsync(Encoding.ASCII.GetBytes($"GET /orders HTTP/1.1\r\nHost: api.example.test:{server.Port}\r\nConnection: close\r\n\r\n"));
        var answer = await new StreamReader(tunnel).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Contains("path=/orders\n", answer, StringComparison.Ordinal);
        Assert.Contains($"header:host=api.example.test:{server.Port}\n", answer, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_app_s_own_TLS_to_an_unknown_address_with_a_declared_SNI_passes_through_to_the_sidecar_s_own_resolution()
    {
        using var certificate = _ca.Server(["db.example.test"]);
        await using var server = await EchoHelloAsync(certificate);
        // The XBackend would originate TLS; the app's own TLS is passed through instead, never wrapped twice.
        await using var mesh = await StartAsync(Declared("db.example.test", server.Port, Tls("db.example.test")), ("db.example.test", IPAddress.Loopback));

        await using var tunnel = await OpenTunnelAsync(mesh, $"127.0.0.9:{server.Port}");
        await using var tls = await AppTlsAsync(tunnel, "db.example.test");
        await tls.WriteAsync("hello"u8.ToArray());

        Assert.Equal("hello over TLS, SNI db.example.test", await new StreamReader(tls).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_app_s_own_TLS_through_CONNECT_to_a_declared_host_by_name_is_not_wrapped_in_the_XBackend_s()
    {
        using var certificate = _ca.Server(["db.example.test"]);
        await using var server = await EchoHelloAsync(certificate);
        await using var mesh = await StartAsync(Declared("db.example.test", server.Port, Tls("db.example.test")), ("db.example.test", IPAddress.Loopback));

        await using var tunnel = await OpenTunnelAsync(mesh, $"db.example.test:{server.Port}");
        await using var tls = await AppTlsAsync(tunnel, "db.example.test");
        await tls.WriteAsync("hello"u8.ToArray());

        Assert.Equal("hello over TLS, SNI db.example.test", await new StreamReader(tls).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_unknown_address_with_the_Host_of_a_Service_is_not_rerouted()
    {
        await using var server = await TestBackend.StartAsync("outside");
        var registryOnly = new OutsidePolicy { Mode = Weft.Routing.OutboundPolicies.RegistryOnly, Source = "test" };
        var service = Http("api", server.Port, External("api.example.test", server.Port, tls: null));
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([KeyValuePair.Create($"api:{server.Port}", service)], registryOnly),
            resolve: new Dictionary<string, IReadOnlyList<IPAddress>> { ["api.example.test"] = [IPAddress.Loopback] });

        await using var tunnel = await OpenTunnelAsync(mesh, $"127.0.0.9:{server.Port}");
        await tunnel.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: api:{server.Port}\r\nConnection: close\r\n\r\n"));
        var answer = await new StreamReader(tunnel).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 403", answer, StringComparison.Ordinal); // only a declared external host is reached by its Host
    }

    [Fact]
    public async Task A_mirror_to_an_XBackend_goes_to_the_address_the_sidecar_resolves_with_the_external_Host()
    {
        await using var primary = await TestBackend.StartAsync("primary");
        await using var outside = await TestBackend.StartAsync("outside");
        outside.RecordBodies = true;
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = External("shadow.example.test", outside.Port, tls: null) } };
        var policy = Policies.Service("web", 80, [Policies.Rule(filters: [mirror], backends: Policies.Backend(primary))]);
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([KeyValuePair.Create("web:80", policy)]),
            resolve: new Dictionary<string, IReadOnlyList<IPAddress>> { ["shadow.example.test"] = [IPAddress.Loopback] });

        var response = await mesh.Client.PostAsync("http://web/mirrored", new StringContent("payload"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("primary", response.Headers.GetValues("x-backend").Single());
        await Weft.Tests.Shared.Eventually.TrueAsync(() => outside.Count == 1, "the XBackend received the copy");
        var copy = outside.Received.Single();
        Assert.Equal(("/mirrored", $"shadow.example.test:{outside.Port}"), (copy.Path, copy.Headers["host"]));
        Assert.DoesNotContain(copy.Headers.Keys, name => name.StartsWith("weft-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("payload", outside.Bodies.Single());
    }

    [Fact]
    public async Task A_mirror_to_a_Service_under_a_BackendTLSPolicy_reaches_its_app_over_TLS()
    {
        await using var primary = await TestBackend.StartAsync("primary");
        using var certificate = _ca.Server(["legacy.example.test"]);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var legacy = await TlsServer.StartAsync(certificate, async stream =>
        {
            var head = await TestMesh.ReadHeadAsync(stream, CancellationToken.None);
            seen.Enqueue($"{head.Split('\r')[0]} over TLS, SNI {((SslStream)stream).TargetHostName}");
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        });
        var shadow = new BackendPolicy
        {
            Namespace = "default",
            Name = "legacy",
            Port = 443,
            Endpoints = [new EndpointPolicy { Address = "127.0.0.1", Port = legacy.Port, Pod = "default/legacy-1" }],
            Tls = Tls("legacy.example.test") with { Source = "BackendTLSPolicy default/legacy" },
        };
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = shadow } };
        await using var mesh = await StartAsync(Policies.Service("web", 80, [Policies.Rule(filters: [mirror], backends: Policies.Backend(primary))]));

        using var response = await mesh.Client.GetAsync("http://web/copied");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Weft.Tests.Shared.Eventually.TrueAsync(() => !seen.IsEmpty, "the mirror reached legacy's app");
        Assert.Equal("GET /copied HTTP/1.1 over TLS, SNI legacy.example.test", seen.Single());
    }

    /// <summary>A TLS server that answers the first five bytes it reads with them, "over TLS", and the SNI it was sent.</summary>
    private static Task<TlsServer> EchoHelloAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        TlsServer.StartAsync(certificate, async stream =>
        {
            var hello = new byte[5];
            await stream.ReadExactlyAsync(hello);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{Encoding.ASCII.GetString(hello)} over TLS, SNI {((SslStream)stream).TargetHostName}\n"));
        });

    /// <summary>The app's own TLS over <paramref name="tunnel"/>, trusting the test CA: end to end with the server, whatever the sidecar does.</summary>
    private async Task<SslStream> AppTlsAsync(Stream tunnel, string serverName)
    {
        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(_ca.CaPem);
        var trust = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        trust.CustomTrustStore.Add(root);
        var tls = new SslStream(tunnel);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName, CertificateChainPolicy = trust });
        return tls;
    }

    /// <summary>The policy the control plane compiles for a host an XBackend of the client's namespace declares (no Service, no route).</summary>
    private static DestinationPolicy Declared(string hostname, int port, TlsOriginationPolicy? tls) => new()
    {
        ClientNamespace = "default",
        ServiceNamespace = "default",
        ServiceName = hostname.Split('.')[0],
        Port = port,
        Protocol = PolicyProtocol.Opaque,
        View = PolicyView.None,
        DefaultBackend = External(hostname, port, tls),
    };

    private static BackendPolicy External(string hostname, int port, TlsOriginationPolicy? tls) => new()
    {
        Namespace = "default",
        Name = hostname.Split('.')[0] + "-external",
        Port = port,
        External = new ExternalBackendPolicy { Hostname = hostname, Port = port, Source = $"XBackend default/{hostname.Split('.')[0]}", Tls = tls },
    };

    private TlsOriginationPolicy Tls(string serverName) => new()
    {
        ServerName = serverName,
        CaCertificatesPem = [_ca.CaPem],
        Roots = "ConfigMap default/example-ca",
        Source = "XBackend default/external",
    };

    private static DestinationPolicy Http(string service, int port, BackendPolicy backend) =>
        Policies.Service(service, port, [Policies.Rule(Policies.PathPrefix("/"), null, backend)]);

    private static DestinationPolicy Tcp(string service, int port, BackendPolicy backend) => new()
    {
        ClientNamespace = "default",
        ServiceNamespace = "default",
        ServiceName = service,
        Port = port,
        Protocol = PolicyProtocol.Tcp,
        View = PolicyView.Producer,
        L4Rules = [new L4RulePolicy { Origin = Origin, Backends = [backend with { AppProtocol = BackendAppProtocol.Tcp }] }],
    };

    private static Task<TestMesh> StartAsync(DestinationPolicy policy, params (string Name, IPAddress Address)[] names) =>
        TestMesh.StartAsync(
            new StaticDestinationSource([KeyValuePair.Create($"{(policy.DefaultBackend?.External?.Hostname ?? policy.ServiceName)}:{policy.Port}", policy)]),
            resolve: names.GroupBy(n => n.Name).ToDictionary(g => g.Key, g => (IReadOnlyList<IPAddress>)[.. g.Select(n => n.Address)]));

    /// <summary>Answers every request on every connection with 200 "ok" until stopped.</summary>
    private static async Task ServeOkAsync(TcpListener listener, CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(ct);
                connections.Add(Task.Run(async () =>
                {
                    await using var stream = new NetworkStream(socket, ownsSocket: true);
                    try
                    {
                        while ((await TestMesh.ReadHeadAsync(stream, ct)).Length > 0)
                        {
                            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), ct);
                        }
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException)
                    {
                    }
                }, CancellationToken.None));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(connections);
    }

    private static async Task<NetworkStream> OpenTunnelAsync(TestMesh mesh, string target)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(mesh.Proxy.OutboundEndpoint);
        var stream = new NetworkStream(socket, ownsSocket: true);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"));
        var head = await TestMesh.ReadHeadAsync(stream, CancellationToken.None);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        return stream;
    }

    /// <summary>A TLS server on 127.0.0.1 (an OS-chosen port) that runs <c>serve</c> on each connection it authenticates.</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stopping = new();
        private Task _accepting = Task.CompletedTask;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static Task<TlsServer> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, Func<Stream, Task> serve)
        {
            var server = new TlsServer();
            server._listener.Start();
            server._accepting = server.AcceptAsync(certificate, serve);
            return Task.FromResult(server);
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stopping.Dispose();
        }

        private async Task AcceptAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, Func<Stream, Task> serve)
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stopping.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    try
                    {
                        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _stopping.Token);
                        await serve(ssl);
                    }
                    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                    {
                        // The client refused the certificate, or went away.
                    }
                });
            }
        }
    }
}
