using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.Cli.Commands;
using Weft.ControlPlane;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Objects;
using Weft.Routing;

namespace Weft.Cli.Local.Api;

/// <summary>
/// What <c>weft up --kubeconfig</c> runs beside the local cluster: <c>weft controller</c> in-process
/// (<see cref="KubeController"/>, reading everything back from the API and serving the sidecars), the applier of the
/// manifests directory (<see cref="ManifestApplier"/>), the record of pods and EndpointSlices in the API
/// (<see cref="ApiClusterRecord"/>) with the Node they are bound to (<see cref="KubeletNode"/>), and the node's own view of the API (<see cref="Store"/>: Namespaces, Services,
/// Pods and EndpointSlices through a <see cref="KubeSource"/> of its own, plus the directory's Deployments) that the
/// local cluster, kube-proxy and DNS answerer read, as a node's kubelet and kube-proxy watch the API themselves.
/// </summary>
internal sealed class ApiServerNode : IAsyncDisposable
{
    private static readonly IReadOnlyList<KubeResource> NodeInputs = [KubeResource.Namespaces, KubeResource.Services, KubeResource.Pods, KubeResource.EndpointSlices];

    private readonly Kubernetes _client;

    private ApiServerNode(Kubernetes client, ApiServerConnection connection, KubeController controller, ObjectStore store, KubeSource source, ManifestApplier applier, KubeletNode node, ApiClusterRecord record)
    {
        _client = client;
        Node = node;
        Connection = connection;
        Controller = controller;
        Store = store;
        Source = source;
        Applier = applier;
        Record = record;
    }

    public ApiServerConnection Connection { get; }

    public IKubernetes Client => _client;

    public KubeController Controller { get; }

    /// <summary>The node's view: what the local cluster, kube-proxy and DNS answerer read.</summary>
    public ObjectStore Store { get; }

    public KubeSource Source { get; }

    public ManifestApplier Applier { get; }

    /// <summary>The Node the pods are bound to, registered and heartbeating.</summary>
    public KubeletNode Node { get; }

    public ApiClusterRecord Record { get; }

    public static async Task<ApiServerNode> StartAsync(
        ApiServerConnection connection, string directory, string runDirectory, AddressPlan addresses, IPAddress listen, ILoggerFactory loggerFactory, TextWriter? progress, CancellationToken ct,
        string defaultInboundPolicy = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated, string defaultOutboundPolicy = Weft.Routing.OutboundPolicies.AllowAny)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(listen);

        // What the node's parts print repeats the API server's words (its errors quote what anyone wrote into the cluster,
        // a Lease names its holder): escaped for the terminal, once for all of them.
        progress = progress is null ? null : TerminalText.Writer(progress);
        var client = connection.CreateClient();
        KubeController? controller = null;
        KubeSource? source = null;
        ManifestApplier? applier = null;
        KubeletNode? node = null;
        try
        {
            node = await KubeletNode.ClaimAsync(client, listen.ToString(), progress, ct); // before anything else is written: another run's would be undone
            await EnsureNamespaceAsync(client, connection.Namespace, ct);
            controller = await KubeController.StartAsync(new KubeControllerOptions
            {
                Client = client,
                Namespace = connection.Namespace,
                // The same name for every weft up of this process: a mesh started after another finds the Lease its own.
                Identity = $"weft-up-{Environment.MachineName}-{Environment.ProcessId}",
                ListenAddress = listen.ToString(),
                Port = 0,
                ExtraServingNames = [listen.ToString()],
                LoggerFactory = loggerFactory,
                DefaultInboundPolicy = defaultInboundPolicy,
                DefaultOutboundPolicy = defaultOutboundPolicy,
            }, ct);
            var store = new ObjectStore();
            source = new KubeSource(client, store, loggerFactory, resources: NodeInputs);
            source.Start();
            applier = new ManifestApplier(client, directory, addresses, ImageMap.NotManifests, progress) { Deployments = store };
            await applier.StartAsync(ct);
            await Task.WhenAll(source.WaitForSyncAsync(ct), controller.WaitForSyncAsync(ct));

            // The trust bundle as a pod would mount it: from the ConfigMap the controller publishes.
            var pem = await KubeCaSecret.ReadBundleAsync(client, connection.Namespace, controller.Options.TrustBundleConfigMap, ct) ?? controller.ControlPlane.TrustBundlePem;
            await node.StartAsync(ct);
            var record = new ApiClusterRecord(client, RunDirectories.Credentials(runDirectory), pem, listen.ToString(), progress);
            if (await record.SweepLeftoversAsync(ct) is > 0 and var swept)
            {
                progress?.WriteLine($"deleted {swept} Pod(s) an earlier run left bound to node {KubeletNode.Name}");
            }

            record.Start();
            return new ApiServerNode(client, connection, controller, store, source, applier, node, record);
        }
        catch
        {
            if (applier is not null)
            {
                await applier.DisposeAsync();
            }

            if (node is not null)
            {
                await node.DisposeAsync(); // its Lease last: another run may start once it is gone
            }

            if (source is not null)
            {
                await source.DisposeAsync();
            }

            if (controller is not null)
            {
                await controller.DisposeAsync();
            }

            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the directory as it is now has been applied, every pod and EndpointSlice published so far has been
    /// written, the controller's and the node's informers have seen those writes (by resourceVersion), and the controller
    /// has translated its store: what the API holds is what the sidecars are served.
    /// </summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        await Applier.ApplyAsync(force: false, ct);
        await Record.WaitForWrittenAsync(ct);
        var versions = WrittenVersions.Merge(Applier.Written, Record.Written);
        await Task.WhenAll(Controller.Source.WaitForResourceVersionsAsync(versions, ct), Source.WaitForResourceVersionsAsync(versions, ct));
        await Controller.ControlPlane.WaitForVersionAsync(Controller.ControlPlane.Store.Version, ct);
    }

    /// <summary>The routes' <c>status.parents</c> entries of Weft's controller, as the API server holds them.</summary>
    public Task<IReadOnlyList<RouteStatus>> RouteStatusesAsync(CancellationToken ct) => RouteStatusJson.ReadAllAsync(_client, Controller.Options.ControllerName, ct);

    public async ValueTask DisposeAsync()
    {
        // Pods and slices first, then what was applied, then the Node they were bound to and its Lease (last of what this
        // run wrote: another run may start once the Lease is gone, and must not have its objects deleted by this one), then the readers.
        try
        {
            await Record.DisposeAsync();
            await Applier.DisposeAsync();
            await Node.DisposeAsync();
        }
        finally
        {
            await Source.DisposeAsync();
            await Controller.DisposeAsync();
            _client.Dispose();
        }
    }

    private static Task<bool> EnsureNamespaceAsync(IKubernetes client, string name, CancellationToken ct) =>
        KubeResource.Namespaces.CreateIfMissingAsync(client, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { [WeftInstallation.PartOfLabel] = WeftInstallation.PartOfValue } },
        }, ct);
}
