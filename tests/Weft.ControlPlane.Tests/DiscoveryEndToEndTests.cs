using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Routing.Matching;

namespace Weft.ControlPlane.Tests;

/// <summary>A real control plane on loopback, a real discovery client, a real manifests directory.</summary>
public sealed class DiscoveryEndToEndTests : IAsyncLifetime
{
    private const string ClientNamespace = "gateway-conformance-mesh";
    private const string ClientPod = "gateway-conformance-mesh/client-0";
    private const string Echo = "echo.gateway-conformance-mesh";
    private const string RouteFile = "route.yaml";
    // A deadline for correctness, not a latency claim: an update normally lands in well under a second (bench/ measures
    // it), but a loaded 2-core CI machine running the whole suite in parallel has missed 1 s.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _state = new();
    private ControlPlaneHost? _host;

    private ControlPlaneHost Host => _host!;

    public async Task InitializeAsync()
    {
        _dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        _dir.Write("client-pod.yaml", TestCallers.PodYaml(ClientNamespace, "client-0"));
        _host = await LowPorts.StartAsync(StartHostAsync); // started again on its port (the test of a control plane that returns)
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _dir.Dispose();
        _state.Dispose();
    }

    private Task<ControlPlaneHost> StartHostAsync(int port) =>
        ControlPlaneHost.StartAsync(new ControlPlaneOptions { ManifestDirectory = _dir.Path, Port = port, StateDirectory = _state.Path }, CancellationToken.None);

    // The token is read per call: after a restart on the same state directory it still verifies.
    private static DiscoveryClient NewClient(ControlPlaneHost host) =>
        new(host.Address, ClientNamespace, ClientPod, NullLogger.Instance, null, TestCallers.Roots(host), TestCallers.PodToken(host, ClientNamespace, "client-0"))
        {
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
        };

    private static async Task<DestinationEntry> GetAsync(DiscoveryClient client, string host = Echo, int port = 80) =>
        await client.GetAsync(host, port, CancellationToken.None) ?? throw new InvalidOperationException("no entry");

    private static ValueTask<DestinationEntry?> Read(DiscoveryClient client) => client.GetAsync(Echo, 80, CancellationToken.None);

    [Fact]
    public async Task First_use_subscribes_and_returns_the_first_policy()
    {
        await using var client = NewClient(Host);

        var entry = await GetAsync(client);

        Assert.True(entry.Found);
        Assert.NotNull(entry.Table);
        Assert.Equal("echo", entry.Policy!.ServiceName);
        Assert.Equal("gateway-conformance-mesh", entry.Policy.ServiceNamespace);
        Assert.Empty(entry.Policy.Rules);
        Assert.Equal(Host.ModelVersion, entry.Version);
    }

    [Fact]
    public async Task Later_calls_return_the_same_entry_without_waiting()
    {
        await using var client = NewClient(Host);
        var first = await GetAsync(client);

        var again = client.GetAsync(Echo, 80, CancellationToken.None);

        Assert.True(again.IsCompletedSuccessfully);
        Assert.Same(first, await again);
    }

    [Fact]
    public async Task Unknown_host_is_not_found()
    {
        await using var client = NewClient(Host);

        var entry = await GetAsync(client, "nothing.nowhere", 80);

        Assert.False(entry.Found);
        Assert.Null(entry.Table);
    }

    [Fact]
    public async Task Unknown_host_carries_the_client_s_outbound_policy_and_where_it_is_set()
    {
        await using var client = new DiscoveryClient(Host.Address, ClientNamespace, ClientPod, NullLogger.Instance, null, TestCallers.Roots(Host),
            TestCallers.PodToken(Host, ClientNamespace, "client-0"))
        {
            NotFoundTtl = TimeSpan.FromMilliseconds(50), // each look-up below asks again
        };

        var byDefault = await GetAsync(client, "nothing.nowhere", 80);
        Assert.Equal(Weft.Routing.OutboundPolicies.AllowAny, byDefault.Outside?.Mode);
        Assert.Equal("the mesh default (--default-outbound-policy)", byDefault.Outside?.Source);

        var annotated = TestCallers.PodYaml(ClientNamespace, "client-0").Replace(
            "  uid:", $"  annotations:\n    {Weft.Routing.OutboundPolicies.Key}: Registry-Only\n  uid:", StringComparison.Ordinal);
        _dir.Write("client-pod.yaml", annotated);
        var set = await Eventually.ValueAsync(() => GetAsync(client, "nothing.nowhere", 80), e => e.Outside?.Mode == Weft.Routing.OutboundPolicies.RegistryOnly,
            "the pod's annotation decides", Deadline);

        Assert.Null(set!.Table);
        Assert.Equal($"pod {ClientPod} annotation weft.dev/outbound-policy", set.Outside!.Source);
    }

    [Fact]
    public async Task Adding_a_route_file_sends_an_update_and_deleting_it_goes_back()
    {
        await using var client = NewClient(Host);
        var before = await GetAsync(client);

        _dir.Write(RouteFile, SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        var routed = await Eventually.ValueAsync(() => Read(client).AsTask(), e => e!.Policy!.Rules.Count > 0, "the route's rules arrive", Deadline);

        Assert.True(routed!.Version > before.Version);
        Assert.Equal("gateway-conformance-mesh-test", routed.Policy!.Rules[0].Origin.RouteName);

        _dir.Delete(RouteFile);
        var back = await Eventually.ValueAsync(() => Read(client).AsTask(), e => e!.Policy!.Rules.Count == 0, "the rules are gone", Deadline);
        Assert.True(back!.Version > routed.Version);
    }

    [Fact]
    public async Task A_change_that_does_not_change_the_policy_sends_no_new_version()
    {
        await using var client = NewClient(Host);
        var before = await GetAsync(client);
        var modelBefore = Host.ModelVersion;

        // The proxy's ACK of that first version travels after the policy it has: wait for it (a loaded CI run once read
        // the subscription before it arrived), so that what is checked below is only what the changes sent.
        await Eventually.TrueAsync(() => Host.Subscriptions().All(s => s.AckedVersion >= before.Version), "the first version acknowledged", Deadline);

        // The same text again, and an unrelated object: the model moves on, echo's policy does not.
        _dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        _dir.Write("other.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: other
              namespace: elsewhere
            spec:
              ports:
              - port: 80
            """);
        await Eventually.TrueAsync(() => Host.ModelVersion > modelBefore, "the model is rebuilt", Deadline);
        await Eventually.TrueAsync(
            () => Host.Subscriptions().All(s => s.EvaluatedVersion >= Host.ModelVersion),
            "every stream has compared the new model",
            Deadline);

        var subscription = Assert.Single(Host.Subscriptions());
        Assert.Equal(before.Version, subscription.SentVersion);
        Assert.Equal(before.Version, subscription.AckedVersion);
        Assert.Same(before, await GetAsync(client));
    }

    [Fact]
    public async Task A_policy_the_proxy_cannot_build_is_nacked_and_the_last_good_entry_kept()
    {
        await using var client = new DiscoveryClient(Host.Address, ClientNamespace, ClientPod, NullLogger.Instance, null, TestCallers.Roots(Host), TestCallers.PodToken(Host, ClientNamespace, "client-0"))
        {
            TableBuilder = policy => policy.Rules.Count > 0 ? throw new RouteTableException("cannot build rules (test)") : RouteTable.Build(policy),
        };
        var good = await GetAsync(client);

        _dir.Write(RouteFile, SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        await Eventually.TrueAsync(() => client.Snapshot().Single().RejectedVersion > good.Version, "the update is rejected", Deadline);

        var state = client.Snapshot().Single();
        Assert.Same(good, state.Entry);
        Assert.Contains("cannot build rules", state.RejectedError, StringComparison.Ordinal);
        Assert.Same(good, await GetAsync(client));
        await Eventually.TrueAsync(
            () => Host.Subscriptions().Single().NackedVersion == state.RejectedVersion,
            "the control plane records the NACK",
            Deadline);
        var recorded = Host.Subscriptions().Single();
        Assert.Equal(good.Version, recorded.AckedVersion);
        Assert.Contains("cannot build rules", recorded.NackError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_keeps_serving_without_the_control_plane_and_resubscribes_when_it_returns()
    {
        await using var client = NewClient(Host);
        var good = await GetAsync(client);
        var port = Host.Address.Port;

        await Host.DisposeAsync();
        _host = null;
        await Eventually.TrueAsync(() => !client.Snapshot().Single().Connected, "the client notices", TimeSpan.FromSeconds(5));
        Assert.Same(good, await GetAsync(client));

        _dir.Write(RouteFile, SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        _host = await StartHostAsync(port);

        var routed = await Eventually.ValueAsync(() => Read(client).AsTask(), e => e!.Policy!.Rules.Count > 0, "the new control plane's policy arrives", TimeSpan.FromSeconds(10));
        Assert.Equal("echo", routed!.Policy!.ServiceName);
        Assert.True(client.Snapshot().Single().Connected);
    }

    [Fact]
    public async Task Status_lists_route_statuses_problems_and_subscriptions()
    {
        _dir.Write(RouteFile, SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        _dir.Write("broken.yaml", "kind: [unclosed");
        await Eventually.TrueAsync(() => Host.Statuses.Count == 1 && Host.Problems.Count > 0, "the files are loaded", Deadline);
        await using var client = NewClient(Host);
        await GetAsync(client);

        var status = await TestCallers.StatusAsync(Host);

        Assert.Contains("\"name\":\"gateway-conformance-mesh-test\"", status.RouteStatusesJson.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Contains(status.Problems, p => p.File.EndsWith("broken.yaml", StringComparison.Ordinal));
        var subscription = Assert.Single(status.Subscriptions);
        Assert.Equal(Echo, subscription.Host);
        Assert.Equal(ClientPod, subscription.ClientPod);
        Assert.Equal((ulong)status.ModelVersion, subscription.SentVersion);
    }

    [Fact]
    public async Task Status_lists_backend_statuses_as_the_controller_would_write_them()
    {
        _dir.Write("backends.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: BackendTLSPolicy
            metadata: {name: echo-v1-tls, namespace: gateway-conformance-mesh}
            spec:
              targetRefs: [{group: "", kind: Service, name: echo-v1}]
              validation: {hostname: echo-v1.example.test, caCertificateRefs: [{group: "", kind: ConfigMap, name: missing-ca}]}
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackend
            metadata: {name: api, namespace: gateway-conformance-mesh}
            spec: {type: ExternalHostname, externalHostname: {hostname: api.example.test}, port: {port: 80}}
            """);

        var status = await Eventually.ValueAsync(() => TestCallers.StatusAsync(Host), s => !s.BackendStatusesJson.IsEmpty && s.BackendStatusesJson.ToStringUtf8() != "[]", "the backend objects loaded", Deadline);

        var all = System.Text.Json.Nodes.JsonNode.Parse(status.BackendStatusesJson.Span)!.AsArray();
        Assert.Equal(["XBackend/api", "BackendTLSPolicy/echo-v1-tls"], all.Select(o => $"{o!["kind"]}/{o["name"]}"));
        Assert.Empty(all[0]!["status"]!["parents"]!.AsArray());
        var conditions = all[1]!["status"]!["ancestors"]![0]!["conditions"]!.AsArray();
        Assert.Equal(["Accepted/NoValidCACertificate", "ResolvedRefs/InvalidCACertificateRef"], conditions.Select(c => $"{c!["type"]}/{c["reason"]}"));
    }

    [Fact]
    public async Task WaitForVersion_completes_once_the_model_has_the_store_version()
    {
        var target = Host.Store.Version + 1;
        var wait = Host.WaitForVersionAsync(target, CancellationToken.None);
        Assert.False(wait.IsCompleted);

        _dir.Write(RouteFile, SharedFiles.MeshTest("httproute-simple-same-namespace.yaml"));
        await wait.WaitAsync(Deadline);

        Assert.Single(Host.Statuses);
    }

    [Fact]
    public async Task Idle_subscriptions_are_dropped()
    {
        await using var client = new DiscoveryClient(Host.Address, ClientNamespace, ClientPod, NullLogger.Instance, null, TestCallers.Roots(Host), TestCallers.PodToken(Host, ClientNamespace, "client-0"))
        {
            IdleTimeout = TimeSpan.FromMilliseconds(100),
        };
        await GetAsync(client);

        await Eventually.TrueAsync(() => client.Snapshot().Count == 0, "the client drops it", Deadline);
        await Eventually.TrueAsync(() => Host.Subscriptions().Count == 0, "the stream closes", Deadline);
    }
}
