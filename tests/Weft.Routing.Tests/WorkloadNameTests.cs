using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// A pod's workload, for the metrics' workload labels (issue 16): its Deployment (the ReplicaSet's name without the
/// pod-template-hash), else the controller that owns it, else the pod itself; and each endpoint of a policy carries the
/// workload of the pod behind it.
/// </summary>
public class WorkloadNameTests
{
    public static TheoryData<string?, string?, string?, string?, string?> Cases => new()
    {
        // pod name, pod-template-hash, owner kind, owner name, workload
        { "cart-7d9f8c6b5-x2x9z", "7d9f8c6b5", "ReplicaSet", "cart-7d9f8c6b5", "cart" },
        { "cart-v2-7d9f8c6b5-x2x9z", "7d9f8c6b5", "ReplicaSet", "cart-v2-7d9f8c6b5", "cart-v2" },
        { "cart-7d9f8c6b5-", "7d9f8c6b5", "ReplicaSet", "cart-7d9f8c6b5", "cart" }, // at admission: generateName
        { "orders-abc12", null, "ReplicaSet", "orders", "orders" }, // a bare ReplicaSet: itself
        { "db-0", null, "StatefulSet", "db", "db" },
        { "backup-28731-q8r2t", null, "Job", "backup-28731", "backup-28731" },
        { "shop-5d8f7c9d4b-k4k2p", "5d8f7c9d4b", null, null, "shop" }, // no owner recorded (weft up): the name says
        { "debug", null, null, null, "debug" }, // a bare pod is its own workload
        { "job-", null, null, null, null }, // a generateName and nothing else: not known yet
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_pods_workload_is_its_Deployment_else_its_controller_else_itself(string? name, string? hash, string? ownerKind, string? ownerName, string? workload)
    {
        var labels = hash is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [WorkloadName.TemplateHashLabel] = hash };
        OwnerReference[] owners = ownerKind is null ? [] : [new OwnerReference(ownerKind, ownerName!, Controller: true)];

        Assert.Equal(workload, WorkloadName.Of(name, labels, owners));
    }

    [Fact]
    public void The_controller_owner_wins_over_other_owners()
    {
        OwnerReference[] owners = [new("ConfigMap", "settings", Controller: false), new("StatefulSet", "db", Controller: true)];

        Assert.Equal("db", WorkloadName.Of("db-0", new Dictionary<string, string>(), owners));
    }

    [Fact]
    public void Each_endpoint_carries_the_workload_of_its_pod()
    {
        var deployed = Pod("shop", "cart-7d9f8c6b5-x2x9z", "10.1.0.1", "cart") with
        {
            Metadata = new ObjectMeta
            {
                Name = "cart-7d9f8c6b5-x2x9z",
                Namespace = "shop",
                Labels = new Dictionary<string, string> { [WorkloadName.TemplateHashLabel] = "7d9f8c6b5" },
                OwnerReferences = [new OwnerReference("ReplicaSet", "cart-7d9f8c6b5", Controller: true)],
            },
        };
        var snapshot = new MeshSnapshot
        {
            Services = [Svc("shop", "cart", "10.96.5.5", Port(80, target: 8080))],
            EndpointSlices = [Slice("shop", "cart", [new EndpointPort { Port = 8080 }], Ep("10.1.0.1", "cart-7d9f8c6b5-x2x9z"), Ep("10.1.0.2", "debug"))],
            Pods = [deployed, Pod("shop", "debug", "10.1.0.2")],
        };

        var endpoints = MeshModel.Build(snapshot).Policy("cart.shop", 80).DefaultBackend!.Endpoints;

        Assert.Equal(["cart", "debug"], endpoints.Select(e => e.Workload));
    }
}
