using Weft.Api;
using Weft.Proxy.Tests.Http1;
using Weft.Routing;

namespace Weft.Proxy.Tests.Metrics;

/// <summary>
/// A call straight to a pod IP (gamma-spec A7: the backend facet) addresses no Service, so its outbound series names none:
/// <c>dst_service</c> and <c>backend</c> empty, <c>dst_port</c> the pod port addressed, <c>dst_namespace</c> and
/// <c>dst_workload</c> the pod's, although a Service selects the pod on another port. The policy is the model's, its one
/// endpoint moved onto a local app. On both paths.
/// </summary>
public sealed class PodAddressLabelTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: shop}
        spec: {clusterIP: 10.96.0.20, selector: {app: api}, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: api-0, namespace: shop, labels: {app: api}}
        spec: {serviceAccountName: api, containers: [{name: app, image: api}]}
        status: {podIP: 10.0.0.5}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: api-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
        addressType: IPv4
        endpoints: [{addresses: [10.0.0.5], conditions: {ready: true}, targetRef: {kind: Pod, name: api-0}}]
        ports: [{name: http, port: 80}]
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_call_to_a_pod_IP_is_labelled_with_no_Service_and_no_backend(bool fastPath)
    {
        var loaded = ManifestLoader.LoadText(Manifests, "mesh.yaml");
        Assert.False(loaded.HasProblems, string.Join("; ", loaded.Problems));
        var policy = MeshModel.Build(MeshSnapshot.From(loaded.Objects)).Compile("shop", "10.0.0.5", 8080)!;
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("direct"));
        var pod = policy.DefaultBackend!;
        policy = policy with { DefaultBackend = pod with { Endpoints = [pod.Endpoints.Single() with { Address = "127.0.0.1", Port = app.Port }] } };
        await using var client = await Sidecar.StartAsync(options => options with
        {
            PodNamespace = "shop",
            Workload = "client",
            Http1FastPath = fastPath,
            Destinations = new Weft.Proxy.Discovery.StaticDestinationSource([KeyValuePair.Create("10.0.0.5:8080", policy)]),
        });

        await using (var connection = await RawConnection.OpenAsync(client.Outbound))
        {
            await connection.SendAsync(OutboundProxy.Get("http://10.0.0.5:8080/direct"));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        const string Labels = "direction=\"outbound\",dst_namespace=\"shop\",dst_service=\"\",dst_port=\"8080\",route_kind=\"\",route_namespace=\"\","
            + "route_name=\"\",rule=\"\",backend=\"\",src_namespace=\"shop\",src_workload=\"client\",src_identity=\"\","
            + "dst_workload=\"api-0\",dst_identity=\"spiffe://cluster.local/ns/shop/sa/api\"";
        var metrics = await Eventually.ValueAsync(client.MetricsAsync, m => m.Contains("weft_requests_total{direction=\"outbound\"", StringComparison.Ordinal),
            "the client sidecar counts the call");
        Assert.Contains($"weft_requests_total{{{Labels},status_class=\"2xx\"}} 1\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("dst_service=\"api\"", metrics, StringComparison.Ordinal);
    }
}
