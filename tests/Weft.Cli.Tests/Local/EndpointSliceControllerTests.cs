using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class EndpointSliceControllerTests
{
    private static Service NewService(string name, IReadOnlyDictionary<string, string>? selector, params ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = "ns" },
        Spec = new ServiceSpec { ClusterIP = "127.20.1.1", Selector = selector, Ports = ports },
    };

    private static PodStatus NewPod(string name, string ip, bool ready, Dictionary<string, string> labels, string ns = "ns", params ContainerPort[] ports) => new(
        new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = labels },
            Spec = new PodSpec { Containers = [new Container { Name = "app", Ports = ports }] },
            PodIP = ip,
        },
        ready);

    private static readonly Dictionary<string, string> EchoV1 = new() { ["app"] = "echo", ["version"] = "v1" };
    private static readonly Dictionary<string, string> EchoV2 = new() { ["app"] = "echo", ["version"] = "v2" };

    [Fact]
    public void A_Service_selects_the_pods_of_its_namespace_whose_labels_match()
    {
        var service = NewService("echo", new Dictionary<string, string> { ["app"] = "echo" }, new ServicePort { Name = "http", Port = 80, TargetPort = IntOrString.Of(8080) });
        var pods = new[]
        {
            NewPod("echo-v1-a", "127.20.2.1", true, EchoV1),
            NewPod("echo-v2-a", "127.20.2.2", true, EchoV2),
            NewPod("other", "127.20.2.3", true, new() { ["app"] = "other" }),
            NewPod("echo-elsewhere", "127.20.2.4", true, EchoV1, ns: "elsewhere"),
        };

        var slice = Assert.Single(EndpointSliceController.Derive([service], pods));

        Assert.Equal("echo", slice.ServiceName);
        Assert.Equal("ns", slice.Namespace);
        Assert.Equal(["127.20.2.1", "127.20.2.2"], slice.Endpoints.SelectMany(e => e.Addresses));
        Assert.All(slice.Endpoints, e => Assert.Equal("Pod", e.TargetRef?.Kind));
        Assert.Equal(["echo-v1-a", "echo-v2-a"], slice.Endpoints.Select(e => e.TargetRef?.Name));
        var port = Assert.Single(slice.Ports);
        Assert.Equal("http", port.Name);
        Assert.Equal(8080, port.Port);
    }

    [Fact]
    public void Endpoint_readiness_follows_the_pod()
    {
        var service = NewService("echo", new Dictionary<string, string> { ["app"] = "echo" }, new ServicePort { Name = "http", Port = 80 });
        var slice = Assert.Single(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1), NewPod("b", "127.20.2.2", false, EchoV2)]));

        Assert.Equal([true, false], slice.Endpoints.Select(e => e.Conditions.Ready));
    }

    [Fact]
    public void An_unset_targetPort_is_the_Service_port()
    {
        var service = NewService("echo", new Dictionary<string, string> { ["app"] = "echo" }, new ServicePort { Name = "http-alt", Port = 8080 });
        var slice = Assert.Single(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1)]));

        Assert.Equal(8080, Assert.Single(slice.Ports).Port);
    }

    [Fact]
    public void A_named_targetPort_resolves_per_pod_and_pods_with_different_numbers_get_different_slices()
    {
        var service = NewService("echo", new Dictionary<string, string> { ["app"] = "echo" }, new ServicePort { Name = "web", Port = 80, TargetPort = IntOrString.Of("http") });
        var pods = new[]
        {
            NewPod("a", "127.20.2.1", true, EchoV1, "ns", new ContainerPort { Name = "http", Port = 8080 }),
            NewPod("b", "127.20.2.2", true, EchoV2, "ns", new ContainerPort { Name = "http", Port = 9000 }),
        };

        var slices = EndpointSliceController.Derive([service], pods);

        Assert.Equal(2, slices.Count);
        Assert.Equal([8080, 9000], slices.Select(s => Assert.Single(s.Ports).Port!.Value).Order());
        Assert.All(slices, s => Assert.Equal("web", Assert.Single(s.Ports).Name));
    }

    [Fact]
    public void A_pod_without_the_named_port_lacks_that_port()
    {
        var service = NewService(
            "echo",
            new Dictionary<string, string> { ["app"] = "echo" },
            new ServicePort { Name = "web", Port = 80, TargetPort = IntOrString.Of("http") },
            new ServicePort { Name = "tcp", Port = 9090 });
        var slice = Assert.Single(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1)]));

        Assert.Equal(["tcp"], slice.Ports.Select(p => p.Name));
    }

    [Fact]
    public void A_Service_without_a_selector_gets_no_slices()
    {
        var service = NewService("manual", null, new ServicePort { Name = "http", Port = 80 });

        Assert.Empty(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1)]));
    }

    [Fact]
    public void A_Service_that_selects_nothing_gets_no_slices()
    {
        var service = NewService("none", new Dictionary<string, string> { ["app"] = "none" }, new ServicePort { Name = "http", Port = 80 });

        Assert.Empty(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1)]));
    }

    [Fact]
    public void Slices_carry_the_service_name_label_and_ports_keep_appProtocol()
    {
        var service = NewService("echo", new Dictionary<string, string> { ["app"] = "echo" }, new ServicePort { Name = "grpc", Port = 7070, AppProtocol = "grpc" });
        var slice = Assert.Single(EndpointSliceController.Derive([service], [NewPod("a", "127.20.2.1", true, EchoV1)]));

        Assert.Equal("echo", slice.Metadata.Labels[EndpointSlice.ServiceNameLabel]);
        Assert.Equal("grpc", Assert.Single(slice.Ports).AppProtocol);
        Assert.Equal("IPv4", slice.AddressType);
    }

    [Fact]
    public void The_base_conformance_Services_resolve_targetPorts_as_in_a_cluster()
    {
        // echo-v1: http 80→8080, http-alt 8080, https 443→8443, tcp 9090, grpc 7070.
        var service = NewService(
            "echo-v1",
            new Dictionary<string, string> { ["app"] = "echo", ["version"] = "v1" },
            new ServicePort { Name = "http", Port = 80, TargetPort = IntOrString.Of(8080) },
            new ServicePort { Name = "http-alt", Port = 8080 },
            new ServicePort { Name = "https", Port = 443, TargetPort = IntOrString.Of(8443) },
            new ServicePort { Name = "tcp", Port = 9090 },
            new ServicePort { Name = "grpc", Port = 7070, AppProtocol = "grpc" });
        var slice = Assert.Single(EndpointSliceController.Derive([service], [NewPod("echo-v1-x", "127.20.2.1", true, EchoV1), NewPod("echo-v2-x", "127.20.2.2", true, EchoV2)]));

        Assert.Equal(["127.20.2.1"], slice.Endpoints.SelectMany(e => e.Addresses));
        Assert.Equal([8080, 8080, 8443, 9090, 7070], slice.Ports.Select(p => p.Port!.Value));
    }
}
