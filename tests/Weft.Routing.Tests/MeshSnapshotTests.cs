using Weft.Api.Model;

namespace Weft.Routing.Tests;

public sealed class MeshSnapshotTests
{
    [Fact]
    public void From_puts_each_kind_in_its_list_in_the_order_given_and_leaves_out_other_kinds()
    {
        var a = K.Svc("ns", "a", "10.0.0.1", K.Port(80));
        var b = K.Svc("ns", "b", "10.0.0.2", K.Port(80));
        var pod = K.Pod("ns", "p", "10.1.0.1");
        var slice = K.Slice("ns", "a", [new EndpointPort { Port = 8080 }], K.Ep("10.1.0.1", "p"));
        var route = K.Http("ns", "r", K.Parent("a", port: 80), K.Rule(K.Prefix("/"), K.Backend("b", 80)));
        var deployment = new Deployment
        {
            ApiVersion = "apps/v1",
            Metadata = K.Meta("ns", "d"),
            Template = new PodTemplate { Spec = new PodSpec() },
        };

        var mesh = MeshSnapshot.From([b, pod, deployment, route, a, slice]);

        Assert.Equal([b, a], mesh.Services);
        Assert.Equal([pod], mesh.Pods);
        Assert.Equal([slice], mesh.EndpointSlices);
        Assert.Equal([route], mesh.Routes.Cast<HttpRoute>());
        Assert.Empty(mesh.Namespaces);
        Assert.Empty(mesh.AuthorizationPolicies);
    }
}
