using Weft.Cli.Local;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// One local mesh for the tap tests: a client, a web, an rpc and a db Deployment (rpc's echo also serving gRPC, db's only
/// TCP), Services web (HTTP), rpc (h2c) and db (TCP, with TCPRoute db), strict mTLS (the default).
/// </summary>
public sealed class TapMeshFixture : IAsyncLifetime
{
    private const string Echo = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1";
    private readonly string _work = Directory.CreateTempSubdirectory("weft-tap-").FullName;

    internal LocalMesh Mesh { get; private set; } = null!;

    internal LocalMeshOptions Options { get; private set; } = null!;

    internal string Work => _work;

    public async Task InitializeAsync()
    {
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "manifests")).FullName;
        var yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: tapns}\n";
        foreach (var (name, args) in new[] { ("client", new[] { "--port=8080" }), ("web", new[] { "--port=8080" }), ("rpc", new[] { "--port=8080", "--grpc=7070" }), ("db", new[] { "--tcp=9000" }) })
        {
            yaml += $$$"""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: {{{name}}}, namespace: tapns}
                spec:
                  selector: {matchLabels: {app: {{{name}}}}}
                  template:
                    metadata: {labels: {app: {{{name}}}}}
                    spec:
                      serviceAccountName: {{{name}}}
                      containers: [{name: echo, image: "{{{Echo}}}", args: [{{{string.Join(", ", args.Select(a => $"\"{a}\""))}}}]}]

                """;
        }

        yaml += """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: tapns}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: 8080, appProtocol: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: rpc, namespace: tapns}
            spec:
              selector: {app: rpc}
              ports: [{name: grpc, port: 7070, targetPort: 7070, appProtocol: kubernetes.io/h2c}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: tapns}
            spec:
              selector: {app: db}
              ports: [{name: tcp, port: 9000, targetPort: 9000}]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata: {name: db, namespace: tapns}
            spec:
              parentRefs: [{group: "", kind: Service, name: db, port: 9000}]
              rules: [{backendRefs: [{name: db, port: 9000}]}]
            """;
        await File.WriteAllTextAsync(Path.Combine(manifests, "mesh.yaml"), yaml);
        Options = new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run") };
        Mesh = await LocalMesh.StartAsync(manifests, Options, CancellationToken.None);
        await Mesh.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    internal LocalPod Pod(string deployment) => Mesh.Cluster.Pods.Single(p => p.DeploymentName == deployment);

    /// <summary>The web Service's ClusterIP.</summary>
    internal string Web() => ClusterIP("web");

    /// <summary>The ClusterIP of Service <paramref name="name"/> in tapns.</summary>
    internal string ClusterIP(string name) =>
        Mesh.State().Services.Single(s => s.Namespace == "tapns" && s.Name == name).ClusterIP ?? throw new InvalidOperationException($"{name} has no ClusterIP");

    /// <summary>An HTTP client sending through the client pod's sidecar (its outbound port as the proxy).</summary>
    internal HttpClient Client() => new(new System.Net.Http.SocketsHttpHandler
    {
        Proxy = new System.Net.WebProxy($"http://{Pod("client").IP}:{SidecarPorts.Default.Outbound}"),
        UseProxy = true,
    });

    /// <summary><paramref name="count"/> requests from the client pod to web's <paramref name="path"/> (and as many to /other), each answered 200.</summary>
    internal async Task SendAsync(int count, string path)
    {
        using var http = Client();
        var web = Web();
        for (var i = 0; i < count; i++)
        {
            using var other = await http.GetAsync(new Uri($"http://{web}/other"));
            using var response = await http.GetAsync(new Uri($"http://{web}{path}"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }
}
