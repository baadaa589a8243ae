using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// MeshModel.Update when only EndpointSlices change (an endpoint moves, a slice comes or goes): the same policies as
/// MeshModel.Build of the new snapshot, and the policies that carry none of the moved endpoints kept as they were.
/// </summary>
public class EndpointMoveTests
{
    private static readonly EndpointPort[] SlicePorts =
    [
        new() { Name = "http", Port = 8080 }, new() { Name = "http-alt", Port = 8080 }, new() { Name = "https", Port = 8443 },
        new() { Name = "tcp", Port = 9090 }, new() { Name = "grpc", Port = 7070 },
    ];

    // echo:80 routes to echo-v1; echo:9090, echo-v1 and echo-v2 have no routes; pod IPs are the backend facet (A7).
    private static readonly (string Client, string Host, int Port)[] Destinations =
    [
        (Mesh, "echo", 80), (Consumer, "echo", 80), (Mesh, "echo", 9090), (Mesh, "echo-v1", 80), (Mesh, "echo-v2", 80),
        (Mesh, "10.0.0.1", 8080), (Mesh, "10.0.0.9", 8080), (Mesh, "10.0.0.2", 8080),
    ];

    private static MeshSnapshot Before() => Base(Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));

    private static MeshSnapshot WithSlices(MeshSnapshot snapshot, params EndpointSlice[] slices) => snapshot with { EndpointSlices = slices };

    public static TheoryData<string> Moves => ["echo-v1 endpoint moved", "echo-v1 slice removed", "echo-v2 slice added", "slices reordered"];

    private static MeshSnapshot After(MeshSnapshot before, string move)
    {
        var s = before.EndpointSlices;
        return move switch
        {
            "echo-v1 endpoint moved" => WithSlices(before, s[0], Slice(Mesh, "echo-v1", SlicePorts, Ep("10.0.0.9", "echo-v1-abc-1")), s[2]),
            "echo-v1 slice removed" => WithSlices(before, s[0], s[2]),
            "echo-v2 slice added" => WithSlices(before, [.. s, Slice(Mesh, "echo-v2", SlicePorts, Ep("10.0.0.7")) with { Metadata = new ObjectMeta { Name = "echo-v2-more", Namespace = Mesh, Labels = s[2].Metadata.Labels } }]),
            _ => WithSlices(before, s[2], s[0], s[1]),
        };
    }

    [Theory]
    [MemberData(nameof(Moves))]
    public void An_update_where_only_slices_changed_compiles_what_a_full_build_compiles(string move)
    {
        var before = Before();
        var first = MeshModel.Build(before);
        first.CompileEach(Destinations);

        var after = After(before, move);
        first.Update(after).AssertCompilesAs(MeshModel.Build(after), Destinations);
    }

    [Fact]
    public void An_endpoint_move_keeps_the_policies_that_carry_none_of_its_Services_endpoints()
    {
        var before = Before();
        var first = MeshModel.Build(before);
        first.CompileEach(Destinations);

        var updated = first.Update(After(before, "echo-v1 endpoint moved"));

        Assert.Same(first.Compile(Mesh, "echo-v2", 80), updated.Compile(Mesh, "echo-v2", 80));
        Assert.Same(first.Compile(Mesh, "echo", 9090), updated.Compile(Mesh, "echo", 9090));
        Assert.NotSame(first.Compile(Mesh, "echo", 80), updated.Compile(Mesh, "echo", 80));
        Assert.NotSame(first.Compile(Mesh, "echo-v1", 80), updated.Compile(Mesh, "echo-v1", 80));
        Assert.Contains(updated.Compile(Mesh, "echo", 80)!.Rules.Single().Backends.Single().Endpoints, e => e.Address == "10.0.0.9");
    }

    [Fact]
    public void The_models_before_and_after_an_endpoint_move_each_keep_their_own_endpoints()
    {
        var before = Before();
        var first = MeshModel.Build(before);
        var updated = first.Update(After(before, "echo-v1 endpoint moved"));

        // The later model resolves first; the earlier one, asked after it, still answers from its own slices.
        Assert.Equal(["10.0.0.9"], updated.Compile(Mesh, "echo-v1", 80)!.DefaultBackend!.Endpoints.Select(e => e.Address));
        Assert.Equal(["10.0.0.1"], first.Compile(Mesh, "echo-v1", 80)!.DefaultBackend!.Endpoints.Select(e => e.Address));
        Assert.Equal(["10.0.0.9"], updated.Compile(Mesh, "echo", 80)!.Rules.Single().Backends.Single().Endpoints.Select(e => e.Address));
        Assert.Equal(["10.0.0.1"], first.Compile(Mesh, "echo", 80)!.Rules.Single().Backends.Single().Endpoints.Select(e => e.Address));
    }

    [Fact]
    public void A_Service_ports_endpoints_are_resolved_once_when_first_read_and_every_reader_sees_the_same_list()
    {
        var index = new Internal.MeshIndex(Before(), MeshModel.DefaultTrustDomain);
        var svc = index.Service(Mesh, "echo-v1")!;
        var port = svc.Spec.Ports.Single(p => p.Port == 80);
        var endpoints = index.Endpoints(svc, port);
        Assert.Same(endpoints, index.Endpoints(svc, port));

        // Eight threads read it first at once: one resolution, one answer.
        using var start = new Barrier(8);
        var seen = new Weft.Routing.Policy.EndpointPolicy[8];
        var readers = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            seen[i] = endpoints[0];
        })).ToList();
        readers.ForEach(t => t.Start());
        readers.ForEach(t => t.Join());
        Assert.All(seen, e => Assert.Same(seen[0], e));
        Assert.Equal(("10.0.0.1", 8080), (seen[0].Address, seen[0].Port));
        Assert.Equal("10.0.0.1", Assert.Single(endpoints).Address);
        Assert.Equal("10.0.0.1", endpoints[0].Address);
    }

    [Fact]
    public void Endpoints_first_read_after_an_endpoint_move_are_those_of_the_slices_their_model_was_built_from()
    {
        var before = Before();
        var first = MeshModel.Build(before);
        var unread = first.Compile(Mesh, "echo-v1", 80)!.DefaultBackend!.Endpoints;
        var updated = first.Update(After(before, "echo-v1 endpoint moved"));

        // Resolved only now, after the move: still the first model's endpoints, not the moved ones.
        Assert.Equal(["10.0.0.9"], updated.Compile(Mesh, "echo-v1", 80)!.DefaultBackend!.Endpoints.Select(e => e.Address));
        Assert.Equal(["10.0.0.1"], unread.Select(e => e.Address));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_pod_changed_after_a_slice_came_to_name_it_moves_the_endpoints_of_that_Service(bool fromOlderModel)
    {
        // Which Services' slices name a pod is kept along the line of updates, made at the first pod change: a slice that
        // names the pod later (made from the newest model, or from one older than it, which the translator never does)
        // must be found when the pod changes.
        var p = Pod(Mesh, "echo-v2-p", "10.0.0.7");
        var start = Before() with { Pods = [.. Before().Pods, p] };
        var w = MeshModel.Build(start);
        w.CompileEach(Destinations);
        var xSnapshot = start with { Pods = [start.Pods[0], start.Pods[1], Pod(Consumer, "echo-v1-def-1", "10.0.1.1", "other-sa"), p] };
        var x = w.Update(xSnapshot);

        var more = Slice(Mesh, "echo-v2", SlicePorts, Ep("10.0.0.7", "echo-v2-p")) with { Metadata = new ObjectMeta { Name = "echo-v2-more", Namespace = Mesh, Labels = start.EndpointSlices[2].Metadata.Labels } };
        var named = (fromOlderModel ? start : xSnapshot) with { EndpointSlices = [.. start.EndpointSlices, more] };
        var y = (fromOlderModel ? w : x).Update(named);
        y.CompileEach(Destinations);
        var changed = named with { Pods = [.. named.Pods.Take(3), Pod(Mesh, "echo-v2-p", "10.0.0.7", "p-sa")] };
        var z = y.Update(changed);

        Assert.Contains(z.Compile(Mesh, "echo-v2", 80)!.DefaultBackend!.Endpoints, e => e.Identity == $"spiffe://cluster.local/ns/{Mesh}/sa/p-sa");
        z.AssertCompilesAs(MeshModel.Build(changed), Destinations);
    }

    [Fact]
    public void A_pod_IP_that_slices_name_is_read_from_the_first_of_them_by_name_in_any_list_order()
    {
        // A7: traffic to a pod IP goes to that endpoint as the first slice holding the address has it, by namespace/name
        // as a Service's slices are: here echo's slice (echo-abc) before echo-v1's two, whichever comes first in the list.
        var before = Before();
        var s = before.EndpointSlices;
        var a = Slice(Mesh, "echo-v1", SlicePorts, Ep("10.0.0.1", "echo-v1-abc-9")) with { Metadata = new ObjectMeta { Name = "echo-v1-more", Namespace = Mesh, Labels = s[1].Metadata.Labels } };
        var b = Slice(Mesh, "echo-v1", SlicePorts, Ep("10.0.0.1", "echo-v1-abc-0"));

        var one = MeshModel.Build(WithSlices(before, a, b, s[0], s[2])).Compile(Mesh, "10.0.0.1", 8080)!;
        var other = MeshModel.Build(WithSlices(before, b, a, s[0], s[2])).Compile(Mesh, "10.0.0.1", 8080)!;

        Assert.Equal($"{Mesh}/echo-v1-abc-1", one.DefaultBackend!.Endpoints.Single().Pod);
        Assert.Equal(one.ToJson(), other.ToJson());
    }

    [Fact]
    public void Two_slices_that_name_one_address_for_different_pods_give_it_to_the_first_by_name_in_any_list_order()
    {
        // Of two slices of a Service that name one address for different pods, the first by namespace/name wins it, however
        // the snapshot lists them (the store lists them by namespace/name, as an API server does), by an update as by a build.
        var before = Before();
        var s = before.EndpointSlices;
        var a = Slice(Mesh, "echo-v1", SlicePorts, Ep("10.0.0.1", "echo-v1-abc-1")) with { Metadata = new ObjectMeta { Name = "echo-v1-more", Namespace = Mesh, Labels = s[1].Metadata.Labels } };
        var b = Slice(Mesh, "echo-v1", SlicePorts, Ep("10.0.0.1", "echo-v1-abc-0"));
        var first = MeshModel.Build(WithSlices(before, s[0], a, b, s[2]));
        first.CompileEach(Destinations);
        Assert.Equal($"{Mesh}/echo-v1-abc-0", first.Compile(Mesh, "echo-v1", 80)!.DefaultBackend!.Endpoints.Single().Pod);

        var reordered = WithSlices(before, s[0], b, a, s[2]);
        var updated = first.Update(reordered);
        var built = MeshModel.Build(reordered);

        Assert.Equal(first.Compile(Mesh, "echo-v1", 80)!.ToJson(), built.Compile(Mesh, "echo-v1", 80)!.ToJson());
        foreach (var (client, host, port) in Destinations)
        {
            Assert.Equal(built.Compile(client, host, port).ToJson(), updated.Compile(client, host, port).ToJson());
        }
    }
}
