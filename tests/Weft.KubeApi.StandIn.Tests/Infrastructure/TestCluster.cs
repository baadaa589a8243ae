using k8s;

namespace Weft.KubeApi.StandIn.Tests.Infrastructure;

/// <summary>A stand-in server with the Gateway API CRDs, its kubeconfig, and a KubernetesClient on it; one per test.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public static string StandardCrds => Shared("conformance/upstream/crds/standard");

    public static string ExperimentalCrds => Shared("conformance/upstream/crds/experimental");

    private readonly string _directory;

    private TestCluster(KubeApiServer server, string directory, string kubeconfig)
    {
        Server = server;
        _directory = directory;
        Kubeconfig = kubeconfig;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    public KubeApiServer Server { get; }

    public string Kubeconfig { get; }

    public Kubernetes Client { get; }

    /// <summary>A path under the steering repo's <c>shared/</c> (found above the test binaries; never copied here).</summary>
    public static string Shared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "conformance")))
            {
                return Path.Combine(dir.FullName, "shared", relative);
            }
        }

        throw new DirectoryNotFoundException($"no shared/conformance above {AppContext.BaseDirectory}");
    }

    public static async Task<TestCluster> StartAsync(KubeApiServerOptions? options = null)
    {
        var crds = new[] { StandardCrds, ExperimentalCrds }.Where(Directory.Exists).ToArray();
        var server = await KubeApiServer.StartAsync(options ?? new KubeApiServerOptions { CrdPaths = crds });
        var directory = Directory.CreateTempSubdirectory("weft-standin-").FullName;
        return new TestCluster(server, directory, server.WriteKubeconfig(Path.Combine(directory, "kubeconfig")));
    }

    public Kubernetes ClientWithToken(string token) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.WriteKubeconfig(Path.Combine(_directory, Guid.NewGuid() + ".kubeconfig"), token)));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
