using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.V1;
using Weft.Routing.Authorization;
using Weft.Routing.Policy;
using Weft.Tests.Shared;

namespace Weft.ControlPlane.Tests;

/// <summary>
/// Issue 14's delivery: a real control plane on loopback streams each pod's inbound policy (WatchInbound) to a real
/// discovery client.
/// </summary>
public sealed class InboundDiscoveryTests : IAsyncLifetime
{
    private const string PodManifest = """
        apiVersion: v1
        kind: Pod
        metadata: {name: server-0, namespace: shop, uid: uid-shop-server-0, labels: {app: server}}
        spec:
          serviceAccountName: server
          containers: [{name: app, image: app}]
        status: {podIP: 10.0.0.7}
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();
    private ControlPlaneHost? _host;

    private ControlPlaneHost Host => _host!;

    public async Task InitializeAsync()
    {
        _dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        _host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { ManifestDirectory = _dir.Path, Port = 0, DefaultInboundPolicy = "Same-Namespace" }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task An_unknown_default_inbound_policy_fails_the_start()
    {
        var start = ControlPlaneHost.StartAsync(new ControlPlaneOptions { Port = 0, DefaultInboundPolicy = "everyone" }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => start);
        Assert.Contains("all-unauthenticated", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("server-0")]
    [InlineData("shop/")]
    [InlineData("/server-0")]
    [InlineData("shop/server-0/x")]
    public async Task WatchInbound_for_a_pod_not_named_namespace_slash_name_is_INVALID_ARGUMENT(string pod)
    {
        _dir.Write("pod.yaml", PodManifest);
        using var channel = TestCallers.Channel(Host, TestCallers.PodToken(Host, "shop", "server-0", "server"));
        var client = new Weft.Discovery.V1.Discovery.DiscoveryClient(channel);
        using var call = client.WatchInbound(new InboundRequest { Pod = pod }, deadline: DateTime.UtcNow.Add(Deadline));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Status_lists_the_live_inbound_subscriptions()
    {
        _dir.Write("pod.yaml", PodManifest);
        await TestCallers.WaitForPodAsync(Host, "shop", "server-0");
        using var channel = TestCallers.Channel(Host, TestCallers.PodToken(Host, "shop", "server-0", "server"));
        var client = new Weft.Discovery.V1.Discovery.DiscoveryClient(channel);
        using var stop = new CancellationTokenSource();
        using var call = client.WatchInbound(new InboundRequest { Pod = "shop/server-0" }, cancellationToken: stop.Token);

        var status = await Eventually.ValueAsync(
            () => TestCallers.StatusAsync(Host),
            s => s.InboundSubscriptions.Any(i => i.Pod == "shop/server-0" && i.EvaluatedVersion == (ulong)s.ModelVersion),
            "the inbound subscription listed, evaluated against the current model");

        Assert.Single(status.InboundSubscriptions);
        await stop.CancelAsync();
        await Eventually.ValueAsync(
            () => TestCallers.StatusAsync(Host), s => s.InboundSubscriptions.Count == 0, "the subscription gone with its stream");
    }

    [Fact]
    public void The_inbound_policy_JSON_round_trips()
    {
        var policy = new InboundPolicy
        {
            Namespace = "shop",
            Pod = "server-0",
            ServiceAccount = "server",
            TrustDomain = "cluster.local",
            DefaultPolicy = DefaultInboundPolicies.Deny,
            Policies =
            [
                new AuthorizationPolicyEntry
                {
                    Name = "allow-client",
                    Action = "ALLOW",
                    Scope = new AuthorizationScope { TargetKind = "Service", TargetName = "server", Ports = [8080] },
                    Rules =
                    [
                        new AuthorizationRulePolicy
                        {
                            Index = 0,
                            Sources = [new AuthorizationSourcePolicy { Namespace = "shop", ServiceAccount = "client" }, new AuthorizationSourcePolicy { Spiffe = "spiffe://cluster.local/ns/ops/sa/probe" }],
                            Ports = [8080],
                            Methods = ["POST"],
                            Paths = [new ValueMatchPolicy { Type = "PathPrefix", Name = "", Value = "/orders" }],
                        },
                        new AuthorizationRulePolicy { Index = 1, Sources = [], GrpcService = "shop.Cart", GrpcMethod = "Checkout" },
                    ],
                },
            ],
        };

        var bytes = InboundPolicyJson.Serialize(policy);
        var back = InboundPolicyJson.Deserialize(bytes);

        Assert.Equal(bytes, InboundPolicyJson.Serialize(back));
        Assert.Empty(back.Policies[0].Rules[1].Sources!); // [] (none) stays apart from omitted (any)
        Assert.Null(new AuthorizationRulePolicy { Index = 2 }.Sources);
    }

    [Fact]
    public async Task A_pod_the_store_does_not_have_gets_no_inbound_policy_and_its_sidecar_has_no_table()
    {
        // Issue 15: a token names a pod that must exist; before, such a pod was answered NOT_FOUND.
        await using var client = TestCallers.Client(Host, "shop", "nobody");
        client.WatchInbound();
        using var channel = TestCallers.Channel(Host, TestCallers.PodToken(Host, "shop", "nobody"));
        using var call = new Weft.Discovery.V1.Discovery.DiscoveryClient(channel).WatchInbound(new InboundRequest { Pod = "shop/nobody" });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Null(client.Inbound);
    }

    [Fact]
    public async Task A_pod_gets_its_policy_with_the_mesh_default_and_a_new_version_when_an_AuthorizationPolicy_targets_it()
    {
        _dir.Write("pod.yaml", PodManifest);
        await using var client = new DiscoveryClient(Host.Address, "shop", "shop/server-0", NullLogger.Instance, null, TestCallers.Roots(Host), TestCallers.PodToken(Host, "shop", "server-0", "server"));
        client.WatchInbound();

        var first = await Eventually.ValueAsync(() => Task.FromResult(client.Inbound), e => e?.Found == true, "the pod's inbound policy");
        Assert.Equal(DefaultInboundPolicies.SameNamespace, first!.Table!.Policy.DefaultPolicy);
        Assert.Empty(first.Table.Policy.Policies);

        _dir.Write("authz.yaml", """
            apiVersion: policy.weft.dev/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: allow-client, namespace: shop}
            spec:
              targetRefs: [{group: "", kind: Pod, selector: {matchLabels: {app: server}}}]
              action: ALLOW
              rules: [{sources: [{type: ServiceAccount, serviceAccount: {namespace: shop, name: client}}]}]
            """);

        var second = await Eventually.ValueAsync(() => Task.FromResult(client.Inbound), e => e!.Version > first.Version, "the policy with the AuthorizationPolicy");
        Assert.Equal("allow-client", Assert.Single(second!.Table!.Policy.Policies).Name);
        var status = await Eventually.ValueAsync(
            () => TestCallers.StatusAsync(Host),
            s => s.InboundSubscriptions.Any(i => i.AckedVersion == second.Version),
            "the sidecar's ACK recorded");
        Assert.Equal(DestinationStatus.Found, Assert.Single(status.InboundSubscriptions).Status);
    }

    [Fact]
    public async Task An_inbound_policy_the_sidecar_cannot_build_is_nacked_and_nothing_is_applied()
    {
        _dir.Write("pod.yaml", PodManifest);
        await using var client = new DiscoveryClient(Host.Address, "shop", "shop/server-0", NullLogger.Instance, null, TestCallers.Roots(Host), TestCallers.PodToken(Host, "shop", "server-0", "server"))
        {
            InboundTableBuilder = _ => throw new InvalidOperationException("cannot build"),
        };
        client.WatchInbound();

        var state = await Eventually.ValueAsync(() => Task.FromResult(client.InboundState), s => s?.RejectedVersion > 0, "the NACK");

        // Nothing applied: no table (a NOT_FOUND may have come first, while the control plane had not read the pod yet).
        Assert.True(state!.Entry is null or { Found: false, Table: null }, $"applied: {state.Entry}");
        Assert.Equal("cannot build", state.RejectedError);
        await Eventually.ValueAsync(
            () => TestCallers.StatusAsync(Host),
            s => s.InboundSubscriptions.Any(i => i.NackedVersion == state.RejectedVersion && i.NackError == "cannot build"),
            "the NACK recorded by the control plane");
    }
}
