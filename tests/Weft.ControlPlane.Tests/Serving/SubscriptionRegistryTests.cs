using Grpc.Core;
using Weft.ControlPlane.Serving;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Serving;

/// <summary>
/// The registry of live discovery streams: a sidecar's report (ACK or NACK) lands on its own pod's streams of the
/// reported destination, found among that pod's streams only (issue 18: among every stream of the mesh, 5,000 reports
/// after a push to 5,000 sidecars cost the control plane seconds).
/// </summary>
public sealed class SubscriptionRegistryTests
{
    private readonly SubscriptionRegistry _registry = new();

    private SubscriptionRegistry.Entry Watch(string pod, string host, int port = 80) =>
        _registry.Add(new DestinationRequest { ClientNamespace = pod.Split('/')[0], ClientPod = pod, Host = host, Port = port });

    private static PolicyReport Ack(string pod, string host, ulong version, int port = 80) =>
        new() { ClientPod = pod, Host = host, Port = port, Version = version, Ack = true };

    private static Subscription Of(SubscriptionRegistry.Entry entry) => entry.ToProto();

    [Fact]
    public void A_report_is_recorded_on_the_reporting_pods_streams_of_that_host_and_port_only()
    {
        var mine = Watch("a/client-0", "echo.a");
        var mineAgain = Watch("a/client-0", "echo.a");
        var otherPort = Watch("a/client-0", "echo.a", 8080);
        var otherHost = Watch("a/client-0", "web.a");
        var otherPod = Watch("a/client-1", "echo.a");
        var inbound = _registry.Add(new InboundRequest { Pod = "a/client-0" });

        // The host as the sidecar spelt it in another case is the same destination.
        Assert.True(_registry.Report(Ack("a/client-0", "ECHO.a", 7)));

        Assert.Equal(7UL, Of(mine).AckedVersion);
        Assert.Equal(7UL, Of(mineAgain).AckedVersion);
        Assert.Equal(0UL, Of(otherPort).AckedVersion);
        Assert.Equal(0UL, Of(otherHost).AckedVersion);
        Assert.Equal(0UL, Of(otherPod).AckedVersion);
        Assert.Equal(0UL, inbound.ToProto().AckedVersion);

        Assert.True(_registry.Report(new PolicyReport { ClientPod = "a/client-1", Host = "echo.a", Port = 80, Version = 8, Error = "bad" }));
        Assert.Equal(8UL, Of(otherPod).NackedVersion);
        Assert.Equal("bad", Of(otherPod).NackError);
        Assert.Equal(0UL, Of(mine).NackedVersion);
        _registry.Remove(inbound);
    }

    [Fact]
    public void An_inbound_report_is_recorded_on_the_pods_inbound_streams_only()
    {
        var destination = Watch("a/server-0", "echo.a");
        var inbound = _registry.Add(new InboundRequest { Pod = "a/server-0" });
        var otherInbound = _registry.Add(new InboundRequest { Pod = "a/server-1" });

        Assert.True(_registry.Report(new PolicyReport { ClientPod = "a/server-0", Inbound = true, Version = 3, Ack = true }));

        Assert.Equal(3UL, inbound.ToProto().AckedVersion);
        Assert.Equal(0UL, otherInbound.ToProto().AckedVersion);
        Assert.Equal(0UL, Of(destination).AckedVersion);
        _registry.Remove(inbound);
        _registry.Remove(otherInbound);
    }

    [Fact]
    public void A_report_of_a_pod_or_destination_without_a_live_stream_is_unknown()
    {
        var entry = Watch("a/client-0", "echo.a");
        var inbound = _registry.Add(new InboundRequest { Pod = "a/client-0" });

        Assert.False(_registry.Report(Ack("a/client-9", "echo.a", 1)));
        Assert.False(_registry.Report(Ack("a/client-0", "web.a", 1)));
        Assert.False(_registry.Report(new PolicyReport { ClientPod = "a/client-9", Inbound = true, Version = 1, Ack = true }));

        _registry.Remove(entry);
        Assert.False(_registry.Report(Ack("a/client-0", "echo.a", 2)));
        Assert.True(_registry.Report(new PolicyReport { ClientPod = "a/client-0", Inbound = true, Version = 2, Ack = true }));
        _registry.Remove(inbound);
        Assert.False(_registry.Report(new PolicyReport { ClientPod = "a/client-0", Inbound = true, Version = 3, Ack = true }));
        Assert.Equal(0, _registry.StreamsOf("a/client-0"));
    }

    [Fact]
    public void A_pods_streams_of_both_kinds_count_towards_its_limit_and_an_ended_one_frees_its_place()
    {
        var registry = new SubscriptionRegistry { MaxStreamsPerPod = 2 };
        var destination = registry.Add(new DestinationRequest { ClientNamespace = "a", ClientPod = "a/client-0", Host = "echo.a", Port = 80 });
        var inbound = registry.Add(new InboundRequest { Pod = "a/client-0" });
        registry.Add(new InboundRequest { Pod = "a/client-1" });

        var refused = Assert.Throws<RpcException>(() => registry.Add(new DestinationRequest { ClientNamespace = "a", ClientPod = "a/client-0", Host = "web.a", Port = 80 }));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal(1, registry.Refused);

        // The refused stream is in no list: a report of it is unknown, and the pod still holds two.
        Assert.False(registry.Report(new PolicyReport { ClientPod = "a/client-0", Host = "web.a", Port = 80, Version = 1, Ack = true }));
        Assert.Equal(2, registry.StreamsOf("a/client-0"));

        registry.Remove(inbound);
        var web = registry.Add(new DestinationRequest { ClientNamespace = "a", ClientPod = "a/client-0", Host = "web.a", Port = 80 });
        Assert.True(registry.Report(new PolicyReport { ClientPod = "a/client-0", Host = "web.a", Port = 80, Version = 1, Ack = true }));
        Assert.Equal(2, registry.StreamsOf("a/client-0"));
        registry.Remove(destination);
        registry.Remove(web);
        Assert.Equal(0, registry.StreamsOf("a/client-0"));
    }
}
