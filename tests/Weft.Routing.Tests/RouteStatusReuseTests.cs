using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// gamma-spec H1 through <see cref="MeshModel.StatusOf"/>: a route's status looked up by name is the one
/// <see cref="MeshModel.Statuses"/> holds, and a model made from another keeps a status's instance while nothing it reads
/// changed, so that the status writer compares only the statuses a change touched (and a made-again one equals a full build's).
/// </summary>
public class RouteStatusReuseTests
{
    /// <summary>A pod of a Deployment's (named deployment-hash-suffix, with the hash label) at level l4.</summary>
    private static Pod L4(Pod pod) => pod with
    {
        Metadata = pod.Metadata with
        {
            Annotations = new Dictionary<string, string> { [MeshLevels.Key] = "l4" },
            Labels = new Dictionary<string, string> { [WorkloadName.TemplateHashLabel] = "abc" },
        },
    };

    private static RouteStatus Of(MeshModel model, string kind, string name) => model.StatusOf(kind, Mesh, name)!;

    [Fact]
    public void H1_a_route_s_status_by_name_is_its_entry_in_Statuses_and_none_for_a_name_no_route_holds()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v2", 9090)),
            Http(Mesh, "gateway-only", Parent("gw", kind: "Gateway", group: GatewayApi.Group), Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Same(model.Statuses.Single(s => s.Name == "h"), Of(model, "HTTPRoute", "h"));
        Assert.Same(model.Statuses.Single(s => s.Name == "t"), Of(model, "TCPRoute", "t"));
        Assert.Null(model.StatusOf("TCPRoute", Mesh, "h"));
        Assert.Null(model.StatusOf("HTTPRoute", Consumer, "h"));
        Assert.Null(model.StatusOf("HTTPRoute", Mesh, "missing"));
        Assert.Equal(model.Statuses.Select(s => s.Name), model.Statuses.Select(s => model.StatusOf(s.Kind, s.Namespace, s.Name)!.Name));
    }

    [Fact]
    public void H1_a_status_is_the_same_instance_in_a_model_made_from_one_where_nothing_it_reads_changed()
    {
        var snapshot = Base(
            Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Http(Mesh, "other", Parent("echo-v2", port: 80), Rule(Prefix("/"), Backend("echo-v2", 80))));
        var model = MeshModel.Build(snapshot);
        var status = Of(model, "HTTPRoute", "h");
        var other = Of(model, "HTTPRoute", "other");

        // Another route edited, a pod of another level added: neither is read by h's status.
        var edited = Http(Mesh, "other", Parent("echo-v2", port: 80), Rule(Prefix("/v2"), Backend("echo-v2", 80)));
        var next = model.Update(snapshot with
        {
            Routes = [snapshot.Routes[0], edited],
            Pods = [.. snapshot.Pods, Pod(Consumer, "l7-client-1", "10.0.1.8")],
        });

        Assert.Same(status, Of(next, "HTTPRoute", "h"));
        Assert.Same(status, next.Statuses[0]);
        Assert.NotSame(other, Of(next, "HTTPRoute", "other"));
    }

    [Fact]
    public void H1_a_status_is_made_again_when_a_route_of_a_type_that_outranks_it_joins_its_group()
    {
        var snapshot = Base(Tcp(Mesh, "t", Parent("echo", port: 80), Backend("echo-v1", 80)));
        var model = MeshModel.Build(snapshot);
        Assert.Equal("True", Of(model, "TCPRoute", "t").Cond("Accepted").Status);

        var joined = snapshot with { Routes = [.. snapshot.Routes, Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v2", 80)))] };
        var next = model.Update(joined);

        Assert.Equal(("False", "Conflicted"), (Of(next, "TCPRoute", "t").Cond("Accepted").Status, Of(next, "TCPRoute", "t").Cond("Accepted").Reason));
        Assert.Equal(MeshModel.Build(joined).StatusLines(), next.StatusLines());
    }

    [Fact]
    public void H1_a_status_is_made_again_when_an_l4_workload_comes_and_kept_while_its_pods_are_replaced()
    {
        var snapshot = Base(Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        var model = MeshModel.Build(snapshot);
        var before = Of(model, "HTTPRoute", "h");
        Assert.DoesNotContain("l4 workloads", before.Cond("Accepted").Message, StringComparison.Ordinal);

        var withL4 = snapshot with { Pods = [.. snapshot.Pods, L4(Pod(Consumer, "l4-client-abc-1", "10.0.1.9"))] };
        var next = model.Update(withL4);
        var named = Of(next, "HTTPRoute", "h");
        Assert.Contains($"{Consumer}/l4-client.", named.Cond("Accepted").Message, StringComparison.Ordinal);
        Assert.Equal(MeshModel.Build(withL4).StatusLines(), next.StatusLines());

        // The workload's pod replaced by another of the same workload: the same workloads, the same status.
        var replaced = withL4 with { Pods = [.. snapshot.Pods, L4(Pod(Consumer, "l4-client-abc-2", "10.0.1.10"))] };
        var after = next.Update(replaced);
        Assert.Same(named, Of(after, "HTTPRoute", "h"));
        Assert.Equal(MeshModel.Build(replaced).StatusLines(), after.StatusLines());

        // And gone: the note goes too.
        var gone = after.Update(snapshot);
        Assert.Equal(before.Cond("Accepted").Message, Of(gone, "HTTPRoute", "h").Cond("Accepted").Message);
    }

    [Fact]
    public void H1_a_status_is_made_again_when_its_parent_Service_changes_port()
    {
        var snapshot = Base(Http(Mesh, "h", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        var model = MeshModel.Build(snapshot);
        Assert.Equal("True", Of(model, "HTTPRoute", "h").Cond("Accepted").Status);

        var moved = snapshot with { Services = [Svc(Mesh, "echo", "10.96.0.10", Port(81, "http", 8080)), .. snapshot.Services.Skip(1)] };
        var next = model.Update(moved);

        Assert.Equal("False", Of(next, "HTTPRoute", "h").Cond("Accepted").Status);
        Assert.Equal(MeshModel.Build(moved).StatusLines(), next.StatusLines());
    }
}
