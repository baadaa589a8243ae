using Grpc.Core;
using Weft.Api.Model;
using Weft.ControlPlane.Objects;
using Weft.ControlPlane.Serving;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Serving;

/// <summary>
/// Which pods <c>weft tap</c> calls (issue 16): a Deployment's pods are those whose workload it is, the one rule
/// (<see cref="Weft.Routing.WorkloadName"/>) that names the metrics' workloads, owner references first.
/// </summary>
public sealed class TapRelayTests
{
    [Fact]
    public void A_deployment_target_taps_the_pods_its_ReplicaSets_own()
    {
        var relay = Relay(
            Pod("cart-7d9f-abcde", "7d9f", new OwnerReference("ReplicaSet", "cart-7d9f", true)),
            Pod("cart-7d9f-fghij", "7d9f"), // weft up's pods before owner references: the name says
            Pod("cart-extra-7d9f-klmno", "7d9f", new OwnerReference("ReplicaSet", "cart-extra-7d9f", true)),
            Pod("cart-db-0", null, new OwnerReference("StatefulSet", "cart-db", true)));

        var (workload, pods) = relay.Resolve(new TapRequest { Namespace = "shop", TargetKind = "deploy", TargetName = "cart" });

        Assert.Equal("cart", workload);
        Assert.Equal(["cart-7d9f-abcde", "cart-7d9f-fghij"], pods.Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_pod_whose_owner_is_not_named_like_it_is_its_owners()
    {
        // Its ReplicaSet's name does not prefix the pod's (a renamed pod): the owner reference decides, not the name.
        var relay = Relay(Pod("renamed-1", "5c4b", new OwnerReference("ReplicaSet", "checkout-5c4b", true)));

        Assert.Single(relay.Resolve(new TapRequest { Namespace = "shop", TargetKind = "deploy", TargetName = "checkout" }).Pods);
    }

    [Fact]
    public void A_pod_target_is_labelled_with_its_workload()
    {
        var relay = Relay(Pod("cart-7d9f-abcde", "7d9f", new OwnerReference("ReplicaSet", "cart-7d9f", true)));

        var (workload, pods) = relay.Resolve(new TapRequest { Namespace = "shop", TargetKind = "pod", TargetName = "cart-7d9f-abcde" });

        Assert.Equal("cart", workload);
        Assert.Equal("cart-7d9f-abcde", Assert.Single(pods).Name);
    }

    [Fact]
    public void A_deployment_with_no_running_pod_is_not_found()
    {
        var relay = Relay(Pod("cart-7d9f-abcde", "7d9f", new OwnerReference("ReplicaSet", "cart-7d9f", true)));

        var error = Assert.Throws<RpcException>(() => relay.Resolve(new TapRequest { Namespace = "shop", TargetKind = "deploy", TargetName = "web" }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public void A_stat_query_asks_the_meshed_pods_only_and_counts_those_beyond_its_most()
    {
        var legacy = Pod("legacy-1", null);
        var off = legacy with { Metadata = legacy.Metadata with { Annotations = new Dictionary<string, string> { [Weft.Routing.MeshLevels.Key] = Weft.Routing.MeshLevels.Off } } };
        var many = Enumerable.Range(0, TapRelay.MaxStatPods + 3).Select(i => Pod($"web-5c4b-{i:D4}", "5c4b")).Append(off).ToArray();

        var (pods, left) = Relay(many).AllPods(new StatRequest { AllNamespaces = true });

        Assert.Equal(TapRelay.MaxStatPods, pods.Count);
        Assert.Equal(3, left);
        Assert.DoesNotContain(pods, p => p.Name == "legacy-1");
    }

    [Fact]
    public void A_sidecar_speaks_for_its_own_pod_only_series_naming_another_own_end_are_left_out()
    {
        var pod = Pod("cart-7d9f-abcde", "7d9f", new OwnerReference("ReplicaSet", "cart-7d9f", true));
        var window = new StatWindow();
        window.Series.Add(Series(("direction", "inbound"), ("dst_namespace", "shop"), ("dst_workload", "cart"), ("src_workload", "client")));
        window.Series.Add(Series(("direction", "outbound"), ("src_namespace", "shop"), ("src_workload", "cart"), ("dst_workload", "db")));
        window.Series.Add(Series(("direction", "inbound"), ("dst_namespace", "shop"), ("dst_workload", "payments"), ("src_workload", "client")));
        window.Series.Add(Series(("direction", "outbound"), ("src_namespace", "other"), ("src_workload", "cart")));
        window.Series.Add(Series(("direction", "overflow")));

        var answer = TapRelay.OwnSeriesOnly(pod, "shop/cart-7d9f-abcde", window);

        Assert.Equal(["client", "cart"], answer.Window.Series.Select(s => s.Labels["src_workload"]));
        Assert.Contains("in 2 series; they are left out", answer.Notice, StringComparison.Ordinal);
    }

    private static StatSeries Series(params (string Name, string Value)[] labels)
    {
        var series = new StatSeries();
        foreach (var (name, value) in labels)
        {
            series.Labels[name] = value;
        }

        return series;
    }

    // Resolve reads only the store: the relay's certificate authority and client certificate are not used.
    private static TapRelay Relay(params Pod[] pods)
    {
        var store = new ObjectStore();
        store.Replace("test", pods);
        return new TapRelay(store, null!, null!, TimeProvider.System);
    }

    private static Pod Pod(string name, string? hash, params OwnerReference[] owners) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = "shop",
            Labels = hash is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["pod-template-hash"] = hash },
            OwnerReferences = owners,
        },
        Spec = new PodSpec(),
        PodIP = "127.20.0.1",
    };
}
