using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Tests.Support;
using Weft.KubeApi.StandIn;

namespace Weft.ControlPlane.Tests.Kubernetes;

/// <summary>
/// One API server stand-in per test, with the Gateway API CRDs (experimental channel: XMesh too), Weft's own CRD
/// (AuthorizationPolicy, from deploy/crds, as <c>weft install --crds</c> installs it) and Weft's namespace,
/// a client on it, and helpers to start controllers against it and to write and read objects as kubectl would.
/// </summary>
internal sealed class KubeCluster : IAsyncDisposable
{
    public const string WeftNamespace = "weft-system";

    private readonly List<KubeController> _controllers = [];
    private readonly TempDirectory _directory;

    private KubeCluster(KubeApiServer server, TempDirectory directory, string kubeconfig)
    {
        _directory = directory;
        Server = server;
        Kubeconfig = kubeconfig;
        Client = NewClient();
    }

    public KubeApiServer Server { get; }

    public string Kubeconfig { get; }

    public k8s.Kubernetes Client { get; }

    public ListLogger Log { get; } = new();

    /// <param name="channel">The Gateway API release channel whose CRDs are installed: experimental (with XMesh) or standard.</param>
    /// <param name="bookmarkInterval">How often watches get a bookmark (the newest resourceVersion); 200 ms unless said.</param>
    /// <param name="weftCrds">Whether Weft's own CRD (AuthorizationPolicy) is installed too.</param>
    public static async Task<KubeCluster> StartAsync(string channel = "experimental", TimeSpan? bookmarkInterval = null, bool weftCrds = true)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            CrdPaths = weftCrds
                ? [SharedFiles.Path($"conformance/upstream/crds/{channel}"), SharedFiles.RepositoryPath("deploy/crds/policy.weft.dev_authorizationpolicies.yaml")]
                : [SharedFiles.Path($"conformance/upstream/crds/{channel}")],
            BookmarkInterval = bookmarkInterval ?? TimeSpan.FromMilliseconds(200),
        });
        var directory = new TempDirectory();
        var cluster = new KubeCluster(server, directory, server.WriteKubeconfig(System.IO.Path.Combine(directory.Path, "kubeconfig")));
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = WeftNamespace } });
        return cluster;
    }

    public k8s.Kubernetes NewClient() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

    /// <summary>The mesh roots as a client finds them: the trust bundle ConfigMap the controller publishes in Weft's namespace.</summary>
    public async Task<System.Security.Cryptography.X509Certificates.X509Certificate2Collection> TrustBundleAsync()
    {
        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        roots.ImportFromPem(await KubeCaSecret.ReadBundleAsync(Client, WeftNamespace, WeftInstallation.TrustBundleConfigMapName, CancellationToken.None)
            ?? throw new InvalidOperationException("the trust bundle ConfigMap holds no ca.crt"));
        return roots;
    }

    /// <summary>A controller replica on loopback, port from the OS, with a short Lease for tests.</summary>
    public async Task<KubeController> StartControllerAsync(string identity, Func<KubeControllerOptions, KubeControllerOptions>? configure = null)
    {
        var options = new KubeControllerOptions
        {
            Client = NewClient(),
            Identity = identity,
            ListenAddress = "127.0.0.1",
            Port = 0,
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5),
            RetryPeriod = TimeSpan.FromMilliseconds(250),
            LoggerFactory = LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(Log)).SetMinimumLevel(LogLevel.Information)),
        };
        var controller = await KubeController.StartAsync(configure is null ? options : configure(options), CancellationToken.None);
        lock (_controllers)
        {
            _controllers.Add(controller);
        }

        await controller.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return controller;
    }

    /// <summary>Creates the objects of a multi-document YAML manifest, namespaces first (as <c>kubectl apply -f</c> would for new objects).</summary>
    public async Task ApplyAsync(string yaml)
    {
        foreach (var obj in Weft.Api.ManifestJson.Documents(yaml).OrderBy(o => o["kind"]!.GetValue<string>() == "Namespace" ? 0 : 1))
        {
            await CreateAsync(obj);
        }
    }

    public async Task CreateAsync(JsonObject obj)
    {
        var resource = KubeResource.Of(obj) ?? throw new ArgumentException($"not a Kubernetes object: {obj}");
        await resource.CreateAsync(Client, obj, CancellationToken.None);
    }

    /// <summary>An HTTPRoute (or other Gateway API object) as the API server has it now, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetRouteAsync(string ns, string name, string plural = "httproutes", string version = "v1")
    {
        try
        {
            var element = await Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>("gateway.networking.k8s.io", version, ns, plural, name);
            return JsonNode.Parse(element.GetRawText())!.AsObject();
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The route's (or XBackend's) status entry of <paramref name="controllerName"/>'s, or null.</summary>
    public static JsonObject? ParentOf(JsonObject? route, string controllerName) =>
        (route?["status"]?["parents"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(p => p["controllerName"]?.GetValue<string>() == controllerName);

    /// <summary>The policy's <c>status.ancestors[]</c> entries of <paramref name="controllerName"/>'s.</summary>
    public static IReadOnlyList<JsonObject> AncestorsOf(JsonObject? policy, string controllerName) =>
        [.. (policy?["status"]?["ancestors"] as JsonArray ?? []).OfType<JsonObject>().Where(a => a["controllerName"]?.GetValue<string>() == controllerName)];

    /// <summary>
    /// A ServiceAccount and a Pod running as it in <paramref name="ns"/> (which must exist), and a token for audience
    /// <c>weft</c> bound to that pod, as the kubelet projects it into a sidecar.
    /// </summary>
    public async Task<string> PodTokenAsync(string ns, string serviceAccount, string pod)
    {
        await ApplyAsync($"""
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: {serviceAccount}
              namespace: {ns}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: {pod}
              namespace: {ns}
              labels:
                app: client
            spec:
              serviceAccountName: {serviceAccount}
              containers:
              - name: app
                image: client
            """);
        return Server.IssueToken(ns, serviceAccount, pod, ["weft"], TimeSpan.FromHours(1));
    }

    /// <summary>"Type=Status/Reason" of a parent entry's condition, e.g. "Accepted=True/Accepted".</summary>
    public static string? ConditionOf(JsonObject? parent, string type) =>
        (parent?["conditions"] as JsonArray)?.OfType<JsonObject>().Where(c => c["type"]?.GetValue<string>() == type)
            .Select(c => $"{type}={c["status"]!.GetValue<string>()}/{c["reason"]!.GetValue<string>()}@{c["observedGeneration"]}").FirstOrDefault();

    public async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, double seconds = 20) =>
        await Eventually.ValueAsync(read, condition, $"{what}\n--- controller log ---\n{Log}", TimeSpan.FromSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        foreach (var controller in _controllers)
        {
            await controller.DisposeAsync();
            controller.Options.Client.Dispose();
        }

        Client.Dispose();
        await Server.DisposeAsync();
        _directory.Dispose();
    }

    private sealed class ListLoggerProvider(ListLogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
