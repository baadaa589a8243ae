using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>MeshModel.Update when routes change (edited, added, removed, reordered): the same policies and statuses as MeshModel.Build.</summary>
public class RouteUpdateTests
{
    private static readonly (string Client, string Host, int Port)[] Destinations =
        [(Mesh, "echo", 80), (Consumer, "echo", 80), (Mesh, "echo", 8080), (Mesh, "echo-v1", 80), (Mesh, "echo-v2", 80), (Consumer, "echo-v1", 80), (Mesh, "10.0.0.1", 8080)];

    private static readonly HttpRoute Producer = Http(Mesh, "a-producer", Parent("echo", port: 80), Rule(Prefix("/p"), Backend("echo-v1", 80)));
    private static readonly HttpRoute Both = Http(Mesh, "b-both-ports", Parent("echo"), Rule(Prefix("/b"), Backend("echo-v2", 80)));
    private static readonly HttpRoute ConsumerRoute = Http(Consumer, "c-consumer", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/c"), Backend("echo-v2", 80, ns: Mesh)));

    public static TheoryData<string> Changes => ["producer route edited", "route removed", "consumer route added", "routes reordered", "route renamed"];

    private static Route[] After(string change) => change switch
    {
        "producer route edited" => [Http(Mesh, "a-producer", Parent("echo", port: 80), Rule(Prefix("/p2"), Backend("echo-v2", 80))), Both],
        "route removed" => [Both],
        "consumer route added" => [Producer, Both, ConsumerRoute],
        "routes reordered" => [Both, Producer],
        _ => [Http(Mesh, "z-renamed", Parent("echo", port: 80), Rule(Prefix("/p"), Backend("echo-v1", 80))), Both],
    };

    /// <summary>A model of <paramref name="before"/> with every destination compiled (so that Update has policies to carry over).</summary>
    private static MeshModel Compiled(MeshSnapshot before)
    {
        var model = MeshModel.Build(before);
        foreach (var (client, host, port) in Destinations)
        {
            model.Compile(client, host, port);
        }

        return model;
    }

    /// <summary>Asserts that <paramref name="updated"/> compiles and reports what a full build of <paramref name="after"/> does.</summary>
    private static void AssertAsBuilt(MeshSnapshot after, MeshModel updated)
    {
        var built = MeshModel.Build(after);
        foreach (var (client, host, port) in Destinations)
        {
            Assert.Equal(built.Compile(client, host, port).ToJson(), updated.Compile(client, host, port).ToJson());
        }

        Assert.Equal(built.StatusLines(), updated.StatusLines());
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void An_update_where_routes_changed_compiles_what_a_full_build_compiles(string change)
    {
        var before = Base(Producer, Both);
        var first = Compiled(before);

        var after = before with { Routes = After(change) };
        AssertAsBuilt(after, first.Update(after));
    }

    [Fact]
    public void An_update_that_changes_routes_and_endpoints_together_equals_a_full_build()
    {
        var before = Base(Producer, Both);
        var first = Compiled(before);

        // The producer route now goes to echo-v2, and echo-v2's endpoint moved, in one step.
        var s = before.EndpointSlices;
        var after = before with
        {
            Routes = After("producer route edited"),
            EndpointSlices = [s[0], s[1], Slice(Mesh, "echo-v2", [.. s[2].Ports], Ep("10.0.0.9", "echo-v2-abc-1"))],
        };
        var updated = first.Update(after);

        AssertAsBuilt(after, updated);
        Assert.Equal(["10.0.0.9"], updated.Policy("echo").Rules.SelectMany(r => r.Backends).SelectMany(b => b.Endpoints).Select(e => e.Address).Distinct());
    }

    [Fact]
    public void A_route_moved_to_another_Service_leaves_the_first_and_joins_the_second()
    {
        var before = Base(Producer, Both);
        var first = Compiled(before);

        var moved = Http(Mesh, "a-producer", Parent("echo-v1", port: 80), Rule(Prefix("/p"), Backend("echo-v2", 80)));
        var after = before with { Routes = [moved, Both] };
        var updated = first.Update(after);

        AssertAsBuilt(after, updated);
        Assert.Equal("404", updated.BackendFor("/p"));
        Assert.Equal("echo-v2", updated.Route("/p", host: "echo-v1")!.Backends.Single().Name);
    }

    [Fact]
    public void A_Service_port_change_is_seen_as_a_full_build_would_see_it()
    {
        var before = Base(Producer, Both);
        var first = Compiled(before);

        // echo-v1:80 now targets the pods' 9090, and echo loses 8080.
        var services = before.Services.Select(svc => svc.Name switch
        {
            "echo-v1" => svc with { Spec = svc.Spec with { Ports = [Port(80, "http", 9090, app: "http"), .. svc.Spec.Ports.Skip(1)] } },
            "echo" => svc with { Spec = svc.Spec with { Ports = [.. svc.Spec.Ports.Where(p => p.Port != 8080)] } },
            _ => svc,
        }).ToArray();
        var after = before with { Services = services };

        AssertAsBuilt(after, first.Update(after));
    }

    [Fact]
    public void An_XBackendTrafficPolicy_change_is_seen_as_a_full_build_would_see_it()
    {
        var before = Base(Producer, Both) with { BackendTrafficPolicies = [BackendObjects.TrafficPolicy("budget", "echo-v1", 1, percent: 20)] };
        var first = Compiled(before);

        var after = before with { BackendTrafficPolicies = [BackendObjects.TrafficPolicy("budget", "echo-v1", 1, percent: 50)] };

        AssertAsBuilt(after, first.Update(after));
    }
}
