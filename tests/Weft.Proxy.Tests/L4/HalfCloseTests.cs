using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Discovery;
using Weft.Proxy.L4;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.L4;

/// <summary>
/// An opaque TCP connection keeps a client's half-close: a client that sends its request and shuts its write side at
/// once (<c>printf … | socat</c>, <c>nc -N</c>) gets the answer its server writes after reading to the end, whether the
/// FIN reaches the client's sidecar before the connection to the backend is made or after. A client sidecar and a
/// server sidecar on loopback, mTLS between them, and a server that answers only once its input has ended.
/// </summary>
public sealed class HalfCloseTests
{
    private static readonly string ServerId = OutboundMeshCa.SpiffeId("server");
    private static readonly RuleOrigin Origin = new() { RouteKind = "TCPRoute", RouteNamespace = "default", RouteName = "db", RuleIndex = 0, MatchIndex = 0 };

    [Theory]
    [InlineData(true)] // through the server's sidecar, over mTLS
    [InlineData(false)] // straight to the app (an endpoint with no sidecar)
    public async Task A_client_that_closes_its_write_side_at_once_still_gets_the_answer(bool meshed)
    {
        using var ca = new OutboundMeshCa();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var app = AnswerAtEndOfInputAsync(listener);
        await using var server = await Sidecar.StartAsync(options => options with { PodName = "db-5d8f-x2x9z", Workload = "db", Identity = ca.Issue("server") });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var endpoint = new EndpointPolicy { Address = "127.0.0.1", Port = port, Pod = "default/db", Identity = meshed ? ServerId : null, Workload = "db" };
        var policy = new DestinationPolicy
        {
            ClientNamespace = "default",
            ServiceNamespace = "default",
            ServiceName = "db",
            Port = 9090,
            Protocol = PolicyProtocol.Tcp,
            View = PolicyView.Producer,
            L4Rules = [new L4RulePolicy { Origin = Origin, Backends = [new BackendPolicy { Namespace = "default", Name = "db", Port = 9090, AppProtocol = BackendAppProtocol.Tcp, Endpoints = [endpoint] }] }],
        };
        await using var client = await Sidecar.StartAsync(options => options with
        {
            PodName = "shop-7c9b-k4k2p",
            Workload = "shop",
            Identity = ca.Issue("client"),
            PeerInboundPort = server.Inbound.Port,
            Destinations = new StaticDestinationSource([KeyValuePair.Create("db:9090", policy)]),
        });

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(client.Outbound, deadline.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("CONNECT db:9090 HTTP/1.1\r\nHost: db:9090\r\n\r\n"u8.ToArray(), deadline.Token);
        Assert.StartsWith("HTTP/1.1 200", await TestMesh.ReadHeadAsync(stream, deadline.Token), StringComparison.Ordinal);

        // The request and the FIN together: the sidecar sees the end of its client's input before it has a backend.
        await stream.WriteAsync("ping"u8.ToArray(), deadline.Token);
        socket.Shutdown(SocketShutdown.Send);

        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, deadline.Token);
        Assert.Equal("pong:ping", Encoding.ASCII.GetString(answer.ToArray()));
        Assert.Equal("ping", await app.WaitAsync(deadline.Token));
    }

    [Theory]
    [InlineData(true)] // a peer sidecar's weft-tcp stream: close_notify, then its socket's FIN
    [InlineData(false)] // mTLS off: a peer's PROXY-headed stream in plaintext, then its FIN
    public async Task A_peer_that_closes_its_write_side_at_once_still_gets_the_apps_answer(bool mtls)
    {
        using var ca = new OutboundMeshCa();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var app = AnswerAtEndOfInputAsync(listener);
        await using var server = await Sidecar.StartAsync(options => options with { PodName = "db-5d8f-x2x9z", Workload = "db", Identity = mtls ? ca.Issue("server") : null });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(server.Inbound, deadline.Token);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (mtls)
        {
            var identity = ca.Issue("client");
            var ssl = new System.Net.Security.SslStream(stream);
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "weft",
                ClientCertificates = [identity.Certificate],
                ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol("weft-tcp")],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => RawConnection.ChainsTo(certificate, identity.TrustBundle),
            }, deadline.Token);
            stream = ssl;
        }

        await using (stream)
        {
            await stream.WriteAsync(ProxyProtocolHeader.Format(null, "127.0.0.1", port), deadline.Token);
            await stream.WriteAsync("ping"u8.ToArray(), deadline.Token);
            if (stream is System.Net.Security.SslStream tls)
            {
                await tls.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);

            using var answer = new MemoryStream();
            await stream.CopyToAsync(answer, deadline.Token);
            var text = Encoding.ASCII.GetString(answer.ToArray());
            Assert.True(text == "pong:ping", $"the peer got '{text}', not 'pong:ping'; the server sidecar logged:\n{string.Join("\n", server.Logs.Lines)}");
        }

        Assert.Equal("ping", await app.WaitAsync(deadline.Token));
    }

    [Fact]
    public async Task A_half_closed_relay_ends_once_nothing_has_moved_for_its_idle_bound()
    {
        // A client that closed its side (and may be gone: a reset after a FIN is not read for) and a backend that neither
        // answers nor closes: without the bound the relay, and its backend connection, would be held for as long as the
        // backend keeps it open.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var relayed = await listener.AcceptSocketAsync();
        var backendListener = new TcpListener(IPAddress.Loopback, 0);
        backendListener.Start();
        try
        {
            using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await upstream.ConnectAsync((IPEndPoint)backendListener.LocalEndpoint);
            using var silent = await backendListener.AcceptSocketAsync(); // reads nothing, writes nothing, never closes

            await using var local = new NetworkStream(relayed, ownsSocket: false);
            await using var remote = new NetworkStream(upstream, ownsSocket: false);
            var relay = BytePump.RunAsync(local, remote, CancellationToken.None, halfClosedIdle: TimeSpan.FromMilliseconds(300));
            client.Shutdown(SocketShutdown.Send);

            var (up, down) = await relay.WaitAsync(TimeSpan.FromSeconds(10)); // ended by the bound, not by the backend
            Assert.Equal((0L, 0L), (up, down));
        }
        finally
        {
            backendListener.Stop();
        }
    }

    [Fact]
    public async Task An_opaque_connect_to_a_peer_that_never_answers_fails_within_its_bound()
    {
        // A listener whose accept queue is full: the kernel drops further SYNs, as a peer gone from the network does.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var filling = new List<Socket>();
        try
        {
            // Fill the queue: connects that complete at once are queued; the first that does not is being dropped.
            while (true)
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                filling.Add(s);
                var connect = s.ConnectAsync(IPAddress.Loopback, port);
                if (await Task.WhenAny(connect, Task.Delay(TimeSpan.FromMilliseconds(500))) != connect)
                {
                    break;
                }

                Assert.True(filling.Count < 64, "the accept queue never filled");
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            var failure = await Assert.ThrowsAsync<TimeoutException>(() => Weft.Proxy.Security.MeshConnector.ConnectTcpAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), CancellationToken.None));
            Assert.Contains($"127.0.0.1:{port} within 1 s", failure.Message, StringComparison.Ordinal);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the connect took {started.Elapsed}");
        }
        finally
        {
            foreach (var s in filling)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>Accepts one connection, reads it to its end, then answers <c>pong:</c> and what it read, and closes. Returns what it read.</summary>
    private static async Task<string> AnswerAtEndOfInputAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var read = new MemoryStream();
        await stream.CopyToAsync(read);
        var text = Encoding.ASCII.GetString(read.ToArray());
        await stream.WriteAsync(Encoding.ASCII.GetBytes("pong:" + text));
        socket.Shutdown(SocketShutdown.Both);
        return text;
    }
}
