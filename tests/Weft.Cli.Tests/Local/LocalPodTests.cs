using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class LocalPodTests
{
    [Fact]
    public void Readiness_ports_of_the_base_echo_pods_skip_TLS_without_a_certificate()
    {
        var spec = new PodSpec
        {
            Containers =
            [
                new Container
                {
                    Name = "echo",
                    Image = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1",
                    Args = ["--tcp=9090", "--port=8080", "--grpc=7070", "--port=8443", "--tls=8443", "--crt=/cert.crt", "--key=/cert.key"],
                },
            ],
        };

        Assert.Equal([7070, 8080, 9090], LocalPod.AppPortsOf(spec));
    }

    [Fact]
    public void An_echo_container_without_args_serves_the_echo_defaults()
    {
        var spec = new PodSpec { Containers = [new Container { Name = "echo", Image = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1" }] };

        Assert.Equal([7070, 8080, 9090], LocalPod.AppPortsOf(spec));
    }

    [Fact]
    public void Declared_container_ports_are_probed()
    {
        var spec = new PodSpec { Containers = [new Container { Name = "web", Image = "nginx", Ports = [new ContainerPort { Port = 8000 }] }] };

        Assert.Equal([8000], LocalPod.AppPortsOf(spec));
    }
}
