using Weft.Cli.Local;

namespace Weft.Conformance.Tests;

/// <summary>
/// A small local mesh for the WebSocket tests: a client pod and an echo pod, both with sidecars and strict mTLS (the
/// default), and a Service whose port says <c>appProtocol: kubernetes.io/ws</c> (HTTPRouteBackendProtocolWebSocket)
/// behind an HTTPRoute, so the upgrade goes through the route, the client's outbound, the mTLS hop and the inbound.
/// </summary>
public sealed class WebSocketMeshFixture : IAsyncLifetime
{
    public const string Namespace = "ws";
    public const string Service = "chat";
    private const string Echo = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1";
    private readonly string _work = Directory.CreateTempSubdirectory("weft-ws-").FullName;

    internal LocalMesh Mesh { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var manifests = Path.Combine(_work, "manifests");
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "mesh.yaml"), $$$"""
            apiVersion: v1
            kind: Namespace
            metadata: {name: {{{Namespace}}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: client, namespace: {{{Namespace}}}}
            spec:
              selector: {matchLabels: {app: client}}
              template:
                metadata: {labels: {app: client}}
                spec:
                  serviceAccountName: client
                  containers: [{name: echo, image: "{{{Echo}}}", args: ["--port=8080"]}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: chat-echo, namespace: {{{Namespace}}}}
            spec:
              selector: {matchLabels: {app: chat-echo}}
              template:
                metadata: {labels: {app: chat-echo}}
                spec:
                  serviceAccountName: chat-echo
                  containers: [{name: echo, image: "{{{Echo}}}", args: ["--port=8080"]}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: {{{Service}}}, namespace: {{{Namespace}}}}
            spec:
              selector: {app: chat-echo}
              ports: [{name: ws, port: 80, targetPort: 8080, appProtocol: kubernetes.io/ws}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: chat, namespace: {{{Namespace}}}}
            spec:
              parentRefs: [{group: "", kind: Service, name: {{{Service}}}, port: 80}]
              rules:
                - matches: [{path: {type: PathPrefix, value: /ws}}]
                  backendRefs: [{name: {{{Service}}}, port: 80}]

            """);
        Mesh = await LocalMesh.StartAsync(manifests, new LocalMeshOptions { RunDirectory = Path.Combine(_work, "run") }, CancellationToken.None);
        await Mesh.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    internal LocalPod Pod(string deployment) => Mesh.Cluster.Pods.Single(p => p.DeploymentName == deployment);

    internal static string SpiffeId(string serviceAccount) => $"spiffe://cluster.local/ns/{Namespace}/sa/{serviceAccount}";
}
