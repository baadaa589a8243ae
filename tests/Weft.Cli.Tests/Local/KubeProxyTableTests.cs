using System.Net;
using System.Text;
using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

/// <summary>The local kube-proxy's table: ClusterIP:port → ready endpoints, sidecar or not, from Services, slices and pods.</summary>
public sealed class KubeProxyTableTests
{
    private static readonly Dictionary<string, string> Echo = new() { ["app"] = "echo" };

    private static Service NewService(string clusterIP, string? type = null) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = "echo", Namespace = "ns" },
        Spec = new ServiceSpec
        {
            ClusterIP = clusterIP,
            Type = type ?? "ClusterIP",
            Selector = Echo,
            Ports = [new ServicePort { Name = "http", Port = 80, TargetPort = IntOrString.Of(8080) }, new ServicePort { Name = "udp", Port = 53, Protocol = "UDP" }],
        },
    };

    private static PodStatus NewPod(string name, string ip, bool ready, string? level) => new(
        new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = "ns",
                Labels = Echo,
                Annotations = level is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["weft.dev/mesh"] = level },
            },
            Spec = new PodSpec { Containers = [new Container { Name = "app" }] },
            PodIP = ip,
        },
        ready);

    private static KubeProxyTable Table(Service service, params PodStatus[] pods) =>
        KubeProxyTable.Build([service, .. pods.Select(p => p.Pod), .. EndpointSliceController.Derive([service], pods)]);

    [Fact]
    public void A_ClusterIP_TCP_port_lists_its_ready_endpoints_with_the_target_port_and_whether_a_sidecar_is_in_front()
    {
        var table = Table(NewService("127.20.1.1"),
            NewPod("a", "127.20.2.1", true, "l7"),
            NewPod("b", "127.20.2.2", true, "off"),
            NewPod("c", "127.20.2.3", false, "l7"),
            NewPod("d", "127.20.2.4", true, "l4"));
        var frontend = Assert.Single(table.Frontends).Key;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.20.1.1"), 80), frontend);
        Assert.Equal(
            [new("127.20.2.1", 8080, true), new("127.20.2.2", 8080, false), new("127.20.2.4", 8080, true)],
            table.EndpointsOf(frontend).Select(e => (e.Address.ToString(), e.TargetPort, e.Sidecar)).ToList<(string, int, bool)>());
    }

    [Fact]
    public void A_Service_without_ready_endpoints_keeps_its_frontend_with_none()
    {
        var table = Table(NewService("127.20.1.1"), NewPod("a", "127.20.2.1", false, "l7"));
        Assert.Empty(table.EndpointsOf(Assert.Single(table.Frontends).Key));
    }

    [Theory]
    [InlineData("None", null)]
    [InlineData("10.96.0.10", null)]
    [InlineData("", null)]
    [InlineData("127.20.1.1", "ExternalName")]
    public void Headless_ExternalName_and_non_loopback_Services_get_no_frontend(string clusterIP, string? type) =>
        Assert.Empty(Table(NewService(clusterIP, type), NewPod("a", "127.20.2.1", true, "l7")).Frontends);

    [Fact]
    public void The_PROXY_line_names_the_client_and_the_target_port()
    {
        var line = LocalKubeProxy.ProxyLine(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 40000), new KubeProxyEndpoint(IPAddress.Parse("127.20.2.1"), 8080, true));
        Assert.Equal("PROXY TCP4 127.0.0.1 127.20.2.1 40000 8080\r\n", Encoding.ASCII.GetString(line));
    }
}
