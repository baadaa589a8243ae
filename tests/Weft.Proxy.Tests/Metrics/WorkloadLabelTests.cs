using Weft.Proxy.Tests.Http1;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// Golden metrics on both sides of a call (issue 16): a client sidecar and a server sidecar on loopback, mTLS between
/// them. The client labels its outbound series with its own workload and identity as the source and the endpoint's
/// workload and identity (from discovery) as the destination; the server labels its inbound series with the caller's
/// identity (from the handshake) and workload (from <c>weft-src-workload</c>, which it believes from an mTLS peer of the
/// same namespace) as the source, and its own as the destination. The header never reaches the app. On both paths.
/// </summary>
public sealed class WorkloadLabelTests
{
    private static readonly string ClientId = OutboundMeshCa.SpiffeId("client");
    private static readonly string ServerId = OutboundMeshCa.SpiffeId("server");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Both_sidecars_label_the_call_with_the_source_and_destination_workloads(bool fastPath)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "cart-5d8f-x2x9z",
            Workload = "cart",
            Identity = ca.Issue("server"),
            Http1FastPath = fastPath,
        });
        var backend = OutboundPolicies.Backend("cart", app);
        backend = backend with { Endpoints = [backend.Endpoints[0] with { Identity = ServerId, Workload = "cart" }] };
        await using var client = await Sidecar.StartAsync(options => options with
        {
            PodName = "shop-7c9b-k4k2p",
            Workload = "shop",
            Identity = ca.Issue("client"),
            Http1FastPath = fastPath,
            PeerInboundPort = server.Inbound.Port,
            Destinations = new Weft.Proxy.Discovery.StaticDestinationSource([KeyValuePair.Create("cart:8080", Service("cart", 8080, defaultBackend: backend))]),
        });

        await using (var connection = await RawConnection.OpenAsync(client.Outbound))
        {
            for (var i = 0; i < 2; i++)
            {
                await connection.SendAsync(OutboundProxy.Get("http://cart:8080/items", "weft-src-workload: default/forged-by-the-app\r\n"));
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }
        }

        var outbound = "direction=\"outbound\",dst_namespace=\"default\",dst_service=\"cart\",dst_port=\"8080\",route_kind=\"\",route_namespace=\"\","
            + "route_name=\"\",rule=\"\",backend=\"default/cart:80\",src_namespace=\"default\",src_workload=\"shop\","
            + $"src_identity=\"{ClientId}\",dst_workload=\"cart\",dst_identity=\"{ServerId}\"";
        var inbound = $"direction=\"inbound\",dst_namespace=\"default\",dst_service=\"\",dst_port=\"{app.PortText}\",route_kind=\"\",route_namespace=\"\","
            + "route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"default\",src_workload=\"shop\","
            + $"src_identity=\"{ClientId}\",dst_workload=\"cart\",dst_identity=\"{ServerId}\"";
        await Eventually.ValueAsync(client.MetricsAsync, m => m.Contains($"weft_requests_total{{{outbound},status_class=\"2xx\"}} 2\n", StringComparison.Ordinal),
            "the client sidecar counts the two calls from shop to cart");
        await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains($"weft_requests_total{{{inbound},status_class=\"2xx\"}} 2\n", StringComparison.Ordinal)
            && m.Contains($"weft_request_duration_seconds_count{{{inbound}}} 2\n", StringComparison.Ordinal),
            "the server sidecar counts the two calls from shop to cart");
        Assert.Equal(2, app.Received.Count);
        Assert.All(app.Received, r => Assert.False(r.Has("weft-src-workload")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_mirrored_request_carries_the_callers_workload_to_the_mirrors_sidecar(bool fastPath)
    {
        // RequestMirror (gamma-spec G8): the copy is a request to a peer sidecar too, so it says which workload calls.
        using var ca = new OutboundMeshCa();
        await using var primary = ScriptedApp.Start(_ => ScriptedReply.Ok("primary"));
        await using var shadow = ScriptedApp.Start(_ => ScriptedReply.Ok("shadow"));
        await using var server = await Sidecar.StartAsync(options => options with
        {
            PodName = "cart-5d8f-x2x9z",
            Workload = "cart",
            Identity = ca.Issue("server"),
            Http1FastPath = fastPath,
        });
        BackendPolicy OnServer(BackendPolicy backend) => backend with { Endpoints = [backend.Endpoints[0] with { Identity = ServerId, Workload = "cart" }] };
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = OnServer(OutboundPolicies.Backend("cart-shadow", shadow)) } };
        var rule = Rule(filters: [mirror], backends: OnServer(OutboundPolicies.Backend("cart", primary)));
        await using var client = await Sidecar.StartAsync(options => options with
        {
            PodName = "shop-7c9b-k4k2p",
            Workload = "shop",
            Identity = ca.Issue("client"),
            Http1FastPath = fastPath,
            PeerInboundPort = server.Inbound.Port,
            Destinations = new Weft.Proxy.Discovery.StaticDestinationSource([KeyValuePair.Create("cart:8080", Service("cart", 8080, [rule]))]),
        });

        await using (var connection = await RawConnection.OpenAsync(client.Outbound))
        {
            await connection.SendAsync(OutboundProxy.Get("http://cart:8080/items", "weft-src-workload: default/forged-by-the-app\r\n"));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        var mirrored = $"direction=\"inbound\",dst_namespace=\"default\",dst_service=\"\",dst_port=\"{shadow.PortText}\",route_kind=\"\",route_namespace=\"\","
            + "route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"default\",src_workload=\"shop\","
            + $"src_identity=\"{ClientId}\",dst_workload=\"cart\",dst_identity=\"{ServerId}\"";
        await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains($"weft_requests_total{{{mirrored},status_class=\"2xx\"}} 1\n", StringComparison.Ordinal),
            "the mirror's sidecar counts the copy as a call from shop");
        Assert.False(Assert.Single(shadow.Received).Has("weft-src-workload"));
        Assert.False(Assert.Single(primary.Received).Has("weft-src-workload"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_workload_header_from_a_plaintext_peer_is_not_believed_and_never_reaches_the_app(bool fastPath)
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var server = await Sidecar.StartAsync(options => options with { Workload = "cart", Http1FastPath = fastPath });
        await using var peer = await RawConnection.OpenAsync(server.Inbound);

        await peer.SendAsync(Sidecar.Get(app.Port, "/", "weft-src-workload: default/forged-caller\r\n"));
        Assert.Equal(200, (await peer.ReadResponseAsync()).Status);

        var metrics = await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains("weft_requests_total{direction=\"inbound\"", StringComparison.Ordinal),
            "the server sidecar counts the call");
        Assert.Contains("src_namespace=\"\",src_workload=\"\",src_identity=\"\",dst_workload=\"cart\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("forged-caller", metrics, StringComparison.Ordinal);
        Assert.False(Assert.Single(app.Received).Has("weft-src-workload"));
    }

    [Theory]
    [InlineData(true, "other/admin", "")]
    [InlineData(false, "other/admin", "")]
    [InlineData(true, "default/Not_A_Name", "")]
    [InlineData(true, "default/billing", "billing")]
    [InlineData(false, "default/billing", "billing")]
    public async Task A_workload_header_is_believed_only_from_an_mTLS_peer_of_the_same_namespace(bool fastPath, string claimed, string believed)
    {
        using var ca = new OutboundMeshCa();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var server = await Sidecar.StartAsync(options => options with { Workload = "cart", Identity = ca.Issue("server"), Http1FastPath = fastPath });
        await using var peer = await RawConnection.OpenMtlsAsync(server.Inbound, ca.Issue("client"));

        await peer.SendAsync(Sidecar.Get(app.Port, "/", $"weft-src-workload: {claimed}\r\n"));
        Assert.Equal(200, (await peer.ReadResponseAsync()).Status);

        var metrics = await Eventually.ValueAsync(server.MetricsAsync, m => m.Contains("weft_requests_total{direction=\"inbound\"", StringComparison.Ordinal),
            "the server sidecar counts the call");
        Assert.Contains($"src_namespace=\"default\",src_workload=\"{believed}\",src_identity=\"{ClientId}\",dst_workload=\"cart\"", metrics, StringComparison.Ordinal);
        Assert.False(Assert.Single(app.Received).Has("weft-src-workload"));
    }
}
