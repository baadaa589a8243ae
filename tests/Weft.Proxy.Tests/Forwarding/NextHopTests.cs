using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Forwarding;
using Weft.Proxy.L4;
using Weft.Proxy.Security;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Forwarding;

/// <summary>One next-hop rule (<see cref="NextHop"/>) for HTTP requests and opaque connections alike.</summary>
public sealed class NextHopTests
{
    private static readonly EndpointPolicy Peer = new() { Address = "127.0.0.1", Port = 8080, Pod = "ns/peer", Identity = "spiffe://cluster.local/ns/ns/sa/peer" };
    private static readonly EndpointPolicy NoSidecar = Peer with { Identity = null };

    [Fact]
    public void With_mTLS_on_a_peer_with_an_identity_is_reached_at_its_inbound_port_and_one_without_at_its_app_port()
    {
        Assert.Equal(new NextHop("127.0.0.1", 15006, Peer.Identity, ViaSidecar: true), NextHop.To(Peer, mtls: true, 15006));
        Assert.Equal(new NextHop("127.0.0.1", 8080, null, ViaSidecar: false), NextHop.To(NoSidecar, mtls: true, 15006));
    }

    [Fact]
    public void With_mTLS_off_every_peer_is_reached_at_its_inbound_port_in_plaintext()
    {
        Assert.Equal(new NextHop("127.0.0.1", 15006, null, ViaSidecar: true), NextHop.To(Peer, mtls: false, 15006));
        Assert.Equal(new NextHop("127.0.0.1", 15006, null, ViaSidecar: true), NextHop.To(NoSidecar, mtls: false, 15006));
    }

    [Fact]
    public async Task With_mTLS_off_an_opaque_connection_goes_to_the_peers_inbound_port_with_a_PROXY_header_naming_the_app_port()
    {
        using var inbound = new TcpListener(IPAddress.Loopback, 0);
        inbound.Start();
        var inboundPort = ((IPEndPoint)inbound.LocalEndpoint).Port;
        var connector = new MeshConnector(tls: null, () => inboundPort);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var accepting = inbound.AcceptTcpClientAsync(timeout.Token).AsTask();
        await using var upstream = await connector.ConnectOpaqueAsync(NoSidecar, new IPEndPoint(IPAddress.Loopback, 40000), timeout.Token);
        await upstream.WriteAsync("payload"u8.ToArray(), timeout.Token);
        using var accepted = await accepting;

        var expected = Encoding.ASCII.GetString(ProxyProtocolHeader.Format(new IPEndPoint(IPAddress.Loopback, 40000), "127.0.0.1", 8080)) + "payload";
        var received = new byte[expected.Length];
        await accepted.GetStream().ReadExactlyAsync(received, timeout.Token);
        Assert.Equal(expected, Encoding.ASCII.GetString(received));
    }
}
