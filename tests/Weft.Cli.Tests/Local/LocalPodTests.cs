using Weft.Api.Model;
using Weft.Cli.Local;
using Weft.Routing;
using Weft.Tests.Shared;

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

    [Theory]
    [InlineData(15006, "inbound")]
    [InlineData(15001, "outbound")]
    [InlineData(15000, "admin")]
    public void A_pod_whose_app_uses_a_port_of_the_sidecar_is_not_started_and_says_which(int port, string listener)
    {
        var deployment = new Deployment
        {
            ApiVersion = "apps/v1",
            Metadata = new ObjectMeta { Name = "web", Namespace = "ns" },
            Template = new PodTemplate
            {
                Labels = new Dictionary<string, string> { ["app"] = "web" },
                Spec = new PodSpec { Containers = [new Container { Name = "web", Image = "nginx", Ports = [new ContainerPort { Port = port }] }] },
            },
        };
        var logs = Directory.CreateTempSubdirectory("weft-pod-").FullName;
        try
        {
            var options = new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = logs, Images = new ImageMap([new("nginx", "true")]) };
            var pod = new LocalPod(deployment, "abc", "web-abc-1", System.Net.IPAddress.Parse("127.99.2.1"), options,
                new PodMeshSettings("l7", Weft.Proxy.Security.MtlsMode.Strict));

            Assert.False(pod.Start());
            Assert.Equal($"container port {port} is the sidecar's {listener} port (weft-proxy listens on 15000, 15001 and 15006): use another port", pod.Problem);
            Assert.Empty(Directory.EnumerateFiles(logs)); // nothing was started
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    [Fact]
    public void The_injected_sidecar_of_a_Deployment_pod_is_told_the_Deployment_as_its_workload()
    {
        var deployment = new Deployment
        {
            ApiVersion = "apps/v1",
            Metadata = new ObjectMeta { Name = "cart-v2", Namespace = "shop" },
            Template = new PodTemplate
            {
                Labels = new Dictionary<string, string> { ["app"] = "cart" },
                Spec = new PodSpec { Containers = [new Container { Name = "cart", Image = "nginx", Ports = [new ContainerPort { Port = 8080 }] }] },
            },
        };
        var options = new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = Path.GetTempPath(), Images = new ImageMap([new("nginx", "true")]) };

        var pod = new LocalPod(deployment, "5d8f7c9d4b", "cart-v2-5d8f7c9d4b-k4k2p", System.Net.IPAddress.Parse("127.99.2.1"), options,
            new PodMeshSettings("l7", Weft.Proxy.Security.MtlsMode.Strict));

        var sidecar = pod.Json["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "weft-proxy")!;
        var args = sidecar["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal("cart-v2", args[args.IndexOf("--workload") + 1]);
    }

    [Fact]
    public async Task A_removed_pods_volumes_go_with_it_and_its_logs_stay()
    {
        var run = Directory.CreateTempSubdirectory("weft-pod-").FullName;
        try
        {
            var options = new LocalClusterOptions
            {
                ControlPlane = new Uri("http://127.0.0.1:1"),
                LogDirectory = RunDirectories.Logs(run),
                Images = new ImageMap([new("app", "sleep 60")]),
                IssueToken = (_, _, _, _) => "a-token",
            };
            var pod = new LocalPod(Deployment("web", new Container { Name = "web", Image = "app" }), "abc", "web-abc-1",
                System.Net.IPAddress.Parse("127.99.2.1"), options, new PodMeshSettings(MeshLevels.Off, Weft.Proxy.Security.MtlsMode.Strict));
            var volumes = Path.Combine(RunDirectories.Volumes(run), "ns_web-abc-1");
            var disposed = false;
            try
            {
                Assert.True(pod.Start(), pod.Problem);
                await Eventually.TrueAsync(() => File.Exists(Path.Combine(volumes, "weft-identity", "token")), "the pod's identity volume holds its token");

                await pod.DisposeAsync();
                disposed = true;

                Assert.False(Directory.Exists(volumes));
                Assert.True(File.Exists(Path.Combine(RunDirectories.Logs(run), "ns_web-abc-1_web.log")));
            }
            finally
            {
                if (!disposed)
                {
                    await pod.DisposeAsync(); // its app, sleep 60, must not outlive the test
                }
            }
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Fact]
    public async Task A_removed_pods_echo_certificates_go_with_it_and_no_other_pods()
    {
        var run = Directory.CreateTempSubdirectory("weft-pod-").FullName;
        try
        {
            var options = new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = RunDirectories.Logs(run), Images = new ImageMap([]) };
            var echo = new Container
            {
                Name = "echo",
                Image = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1",
                Args = ["--port=8443", "--tls=8443", "--crt=/cert.crt", "--key=/cert.key"],
            };
            var settings = new PodMeshSettings(MeshLevels.Off, Weft.Proxy.Security.MtlsMode.Strict);
            var gone = new LocalPod(Deployment("web", echo), "abc", "web-abc-1", System.Net.IPAddress.Parse("127.99.2.1"), options, settings);
            var other = new LocalPod(Deployment("web", echo), "abc", "web-abc-12", System.Net.IPAddress.Parse("127.99.2.2"), options, settings);
            var certificates = RunDirectories.Certificates(run);
            Assert.Equal(2, Directory.EnumerateFiles(certificates, "ns_web-abc-1_*").Count()); // its certificate and key

            await gone.DisposeAsync();

            Assert.Equal(["ns_web-abc-12_echo.crt", "ns_web-abc-12_echo.key"], Directory.EnumerateFiles(certificates).Select(Path.GetFileName).Order());
            await other.DisposeAsync();
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static Deployment Deployment(string name, Container container) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = new ObjectMeta { Name = name, Namespace = "ns" },
        Template = new PodTemplate
        {
            Labels = new Dictionary<string, string> { ["app"] = name },
            Spec = new PodSpec { Containers = [container] },
        },
    };
}
