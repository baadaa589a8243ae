using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>DESIGN decision 6: an l4 client gets mTLS and L4 routes only; HTTP routes' status says who they skip.</summary>
public class ClientLevelTests
{
    private static MeshSnapshot WithL4Client(params Route[] routes)
    {
        var snapshot = Base(routes);
        var l4 = Pod(Consumer, "l4-client-1", "10.0.1.9") is var p ? p with { Metadata = p.Metadata with { Annotations = new Dictionary<string, string> { [MeshLevels.Key] = "l4" } } } : null;
        return snapshot with { Pods = [.. snapshot.Pods, l4!] };
    }

    [Fact]
    public void L4_client_level_leaves_HTTPRoute_rules_out_and_tunnels_to_the_Services_endpoints()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80)).With(SetResponseHeader("x", "y"))));
        var l7 = model.Compile(Mesh, "echo", 80, "l7")!;
        Assert.Equal(PolicyProtocol.Http, l7.Protocol);
        Assert.Single(l7.Rules);

        var l4 = model.Compile(Mesh, "echo", 80, "l4")!;
        Assert.Equal(PolicyProtocol.Tcp, l4.Protocol);
        Assert.Empty(l4.Rules);
        Assert.Empty(l4.L4Rules);
        Assert.Equal(("echo", 80), (l4.DefaultBackend!.Name, l4.DefaultBackend.Port));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], l4.DefaultBackend.Endpoints.Select(e => e.Address));
        Assert.All(l4.DefaultBackend.Endpoints, e => Assert.NotNull(e.Identity));
    }

    [Fact]
    public void L4_client_level_leaves_GRPCRoute_rules_out()
    {
        var model = Model(Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([GrpcMatch("svc", null)], Backend("echo-v1", 7070))));
        Assert.Equal(PolicyProtocol.Grpc, model.Compile(Mesh, "echo", 7070, null)!.Protocol);
        var l4 = model.Compile(Mesh, "echo", 7070, "l4")!;
        Assert.Equal((PolicyProtocol.Tcp, 0), (l4.Protocol, l4.Rules.Count));
    }

    [Fact]
    public void L4_client_level_still_applies_TCPRoute_and_TLSRoute()
    {
        var model = Model(
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v1", 9090)),
            Tls(Mesh, "s", Parent("echo", port: 443), ["echo.example.com"], Backend("echo-v2", 443)));
        var tcp = model.Compile(Mesh, "echo", 9090, "l4")!;
        Assert.Equal((PolicyProtocol.Tcp, "TCPRoute"), (tcp.Protocol, tcp.L4Rules.Single().Origin.RouteKind));
        var tls = model.Compile(Mesh, "echo", 443, "l4")!;
        Assert.Equal((PolicyProtocol.Tls, "echo-v2"), (tls.Protocol, tls.L4Rules.Single().Backends.Single().Name));
    }

    [Fact]
    public void L4_client_level_sees_a_TCPRoute_that_an_HTTPRoute_outranks_for_l7_clients()
    {
        var model = Model(
            Http(Mesh, "r", Parent("echo", port: 9090), Rule(Prefix("/"), Backend("echo-v2", 9090))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v1", 9090)));
        Assert.Equal(PolicyProtocol.Http, model.Compile(Mesh, "echo", 9090)!.Protocol);
        var l4 = model.Compile(Mesh, "echo", 9090, "l4")!;
        Assert.Equal(("t", PolicyView.Producer), (l4.L4Rules.Single().Origin.RouteName, l4.View));
    }

    [Fact]
    public void L4_client_level_ignores_consumer_HTTPRoutes_and_falls_back_to_the_Service()
    {
        var model = Model(Http(Consumer, "c", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/"), Backend("echo-v2", 80, ns: Mesh))));
        Assert.Equal(PolicyView.Consumer, model.Compile(Consumer, "echo.gateway-conformance-mesh", 80)!.View);
        var l4 = model.Compile(Consumer, "echo.gateway-conformance-mesh", 80, "l4")!;
        Assert.Equal((PolicyView.None, "echo"), (l4.View, l4.DefaultBackend!.Name));
    }

    [Fact]
    public void Client_level_l7_empty_and_unknown_are_the_default_compile()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        var expected = model.Compile(Mesh, "echo", 80);
        Assert.Same(expected, model.Compile(Mesh, "echo", 80, "l7"));
        Assert.Same(expected, model.Compile(Mesh, "echo", 80, ""));
        Assert.Same(expected, model.Compile(Mesh, "echo", 80, "bogus"));
        Assert.Null(model.Compile(Mesh, "nope", 80, "l4"));
    }

    [Fact]
    public void L4_client_level_to_a_pod_IP_is_the_backend_facet_as_tcp()
    {
        var l4 = Model().Compile(Mesh, "10.0.0.1", 8080, "l4")!;
        Assert.Equal((PolicyProtocol.Tcp, "10.0.0.1"), (l4.Protocol, l4.DefaultBackend!.Endpoints.Single().Address));
    }

    [Fact]
    public void H_HTTPRoute_Accepted_message_names_the_l4_workloads_it_does_not_apply_to()
    {
        var model = MeshModel.Build(WithL4Client(
            Http(Mesh, "producer", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v1", 9090))));
        var accepted = model.StatusOf("producer").Cond("Accepted");
        Assert.Equal("True", accepted.Status);
        Assert.Contains($"not applied to traffic from l4 workloads (weft.dev/mesh: l4", accepted.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"{Consumer}/l4-client-1", accepted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("l4 workloads", model.StatusOf("t").Cond("Accepted").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void H_a_route_status_names_each_l4_workload_once_and_not_the_pods_a_rollout_replaces()
    {
        // Two pods of Deployment "l4-app" (ReplicaSet l4-app-5d8f, as the Deployment controller names it) and one of a
        // StatefulSet: the status names the workloads, so replacing a pod (a rollout, a restart) writes no new status.
        static Pod Owned(string name, string ip, string kind, string owner, string? hash = null) => Pod(Consumer, name, ip) is var p
            ? p with
            {
                Metadata = p.Metadata with
                {
                    Annotations = new Dictionary<string, string> { [MeshLevels.Key] = "l4" },
                    Labels = hash is null ? p.Metadata.Labels : new Dictionary<string, string> { [WorkloadName.TemplateHashLabel] = hash },
                    OwnerReferences = [new OwnerReference(kind, owner, Controller: true)],
                },
            }
            : null!;
        var snapshot = Base(Http(Mesh, "producer", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        Pod[] before = [Owned("l4-app-5d8f-aaaaa", "10.0.1.20", "ReplicaSet", "l4-app-5d8f", "5d8f"), Owned("l4-app-5d8f-bbbbb", "10.0.1.21", "ReplicaSet", "l4-app-5d8f", "5d8f"), Owned("db-0", "10.0.1.22", "StatefulSet", "db")];
        Pod[] after = [Owned("l4-app-7c9e-ccccc", "10.0.1.23", "ReplicaSet", "l4-app-7c9e", "7c9e"), before[1], Owned("db-0", "10.0.1.24", "StatefulSet", "db")];
        var model = MeshModel.Build(snapshot with { Pods = [.. snapshot.Pods, .. before] });
        var message = model.StatusOf("producer").Cond("Accepted").Message;
        Assert.EndsWith($"Not applied to traffic from l4 workloads (weft.dev/mesh: l4: mTLS and L4 routes only, no HTTPRoute or GRPCRoute): {Consumer}/db, {Consumer}/l4-app.", message, StringComparison.Ordinal);

        var updated = model.Update(snapshot with { Pods = [.. snapshot.Pods, .. after] });
        Assert.Equal(message, updated.StatusOf("producer").Cond("Accepted").Message);
    }

    [Fact]
    public void H_the_l4_workloads_an_updated_model_names_follow_the_pods_that_came_changed_and_went()
    {
        // Each model is made from the one before, whose statuses were read (so it had found its l4 workloads), and must
        // name what a model built from its snapshot names.
        static Pod AtLevel(Pod pod, string level) => pod with { Metadata = pod.Metadata with { Annotations = new Dictionary<string, string> { [MeshLevels.Key] = level } } };
        var snapshot = WithL4Client(Http(Mesh, "producer", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        var model = MeshModel.Build(snapshot);
        string Named(MeshModel m) => m.StatusOf("producer").Cond("Accepted").Message;
        Assert.Contains($"{Consumer}/l4-client-1", Named(model), StringComparison.Ordinal);

        var client = snapshot.Pods.Single(p => p.Name == "l4-client-1");
        var another = AtLevel(Pod(Consumer, "l4-client-2", "10.0.1.10"), "l4");
        MeshSnapshot[] steps =
        [
            snapshot with { EndpointSlices = [.. snapshot.EndpointSlices] }, // the same pods
            snapshot with { Pods = [.. snapshot.Pods, another] }, // one more at l4
            snapshot with { Pods = [.. snapshot.Pods.Select(p => p == client ? AtLevel(client, "l7") : p), another] }, // the first now l7
            snapshot with { Pods = [.. snapshot.Pods.Where(p => p != client)] }, // the first gone, and the second
        ];
        foreach (var step in steps)
        {
            model = model.Update(step);
            Assert.Equal(Named(MeshModel.Build(step)), Named(model));
        }

        Assert.Contains("l4-client-2", Named(model.Update(steps[1])), StringComparison.Ordinal);
        Assert.DoesNotContain("l4 workloads", Named(model), StringComparison.Ordinal);
    }

    [Fact]
    public void H_HTTPRoute_Accepted_message_is_unchanged_without_l4_workloads()
    {
        var model = Model(Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))));
        Assert.DoesNotContain("l4 workloads", model.StatusOf("r").Cond("Accepted").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void H_a_consumer_HTTPRoute_names_only_the_l4_workloads_of_its_own_namespace()
    {
        var model = MeshModel.Build(WithL4Client(
            Http(Consumer, "mine", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/"), Backend("echo-v1", 80, ns: Mesh)))));
        Assert.Contains($"{Consumer}/l4-client-1", model.StatusOf("mine").Cond("Accepted").Message, StringComparison.Ordinal);

        var elsewhere = Base(Http(Consumer, "mine", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/"), Backend("echo-v1", 80, ns: Mesh))));
        var l4InMesh = Pod(Mesh, "l4-other", "10.0.0.9") is var p ? p with { Metadata = p.Metadata with { Annotations = new Dictionary<string, string> { [MeshLevels.Key] = "l4" } } } : null;
        var model2 = MeshModel.Build(elsewhere with { Pods = [.. elsewhere.Pods, l4InMesh!] });
        Assert.DoesNotContain("l4 workloads", model2.StatusOf("mine").Cond("Accepted").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void D1_a_TCPRoute_only_an_HTTPRoute_outranks_is_Accepted_for_the_l4_workloads_it_applies_to()
    {
        // The HTTPRoute binds every port of the Service; on 9090 it wins for l7 clients, the TCPRoute for l4 ones.
        var model = MeshModel.Build(WithL4Client(
            Http(Mesh, "h", Parent("echo"), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v2", 9090))));
        Assert.Equal("t", model.Compile(Consumer, "echo.gateway-conformance-mesh", 9090, "l4")!.L4Rules.Single().Origin.RouteName);

        var accepted = model.StatusOf("t").Cond("Accepted");
        Assert.Equal(("True", "Accepted"), (accepted.Status, accepted.Reason));
        Assert.Contains($"on port 9090 HTTPRoute {Mesh}/h also binds and HTTPRoute takes precedence over TCPRoute", accepted.Message, StringComparison.Ordinal);
        Assert.Contains("applied only to traffic from l4 workloads (weft.dev/mesh: l4: mTLS and L4 routes only, no HTTPRoute or GRPCRoute)", accepted.Message, StringComparison.Ordinal);
        Assert.Contains($"{Consumer}/l4-client-1", accepted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Not applied", accepted.Message, StringComparison.Ordinal);
        Assert.Contains($"Not applied to traffic from l4 workloads", model.StatusOf("h").Cond("Accepted").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void D1_a_TCPRoute_only_an_HTTPRoute_outranks_is_Conflicted_while_no_l4_workload_can_use_it()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo", port: 9090), Rule(Prefix("/"), Backend("echo-v1", 9090))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v2", 9090)));
        var accepted = model.StatusOf("t").Cond("Accepted");
        Assert.Equal(("False", "Conflicted"), (accepted.Status, accepted.Reason));
        Assert.StartsWith("Not applied: on port 9090 HTTPRoute", accepted.Message, StringComparison.Ordinal);
        Assert.Contains("it would apply to traffic from l4 workloads (weft.dev/mesh: l4: mTLS and L4 routes only, no HTTPRoute or GRPCRoute), but there are none.", accepted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void D1_a_TCPRoute_a_TLSRoute_outranks_is_Conflicted_for_l4_workloads_too()
    {
        var model = MeshModel.Build(WithL4Client(
            Http(Mesh, "h", Parent("echo", port: 9090), Rule(Prefix("/"), Backend("echo-v1", 9090))),
            Tls(Mesh, "s", Parent("echo", port: 9090), ["echo.example.com"], Backend("echo-v1", 9090)),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v2", 9090))));
        var tcp = model.StatusOf("t").Cond("Accepted");
        Assert.Equal(("False", "Conflicted"), (tcp.Status, tcp.Reason));
        Assert.DoesNotContain("l4 workloads", tcp.Message, StringComparison.Ordinal);
        var tls = model.StatusOf("s").Cond("Accepted");
        Assert.Equal("True", tls.Status);
        Assert.Contains($"applied only to traffic from l4 workloads (weft.dev/mesh: l4: mTLS and L4 routes only, no HTTPRoute or GRPCRoute): {Consumer}/l4-client-1.", tls.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void D1_a_consumer_TCPRoute_an_HTTPRoute_outranks_applies_only_to_the_l4_workloads_of_its_namespace()
    {
        Route[] routes =
        [
            Http(Consumer, "ch", Parent("echo", ns: Mesh, port: 9090), Rule(Prefix("/"), Backend("echo-v1", 9090, ns: Mesh))),
            Tcp(Consumer, "ct", Parent("echo", ns: Mesh, port: 9090), Backend("echo-v2", 9090, ns: Mesh)),
        ];
        var accepted = MeshModel.Build(WithL4Client(routes)).StatusOf("ct").Cond("Accepted");
        Assert.Equal("True", accepted.Status);
        Assert.Contains($"{Consumer}/l4-client-1", accepted.Message, StringComparison.Ordinal);

        var elsewhere = Base(routes);
        var l4InMesh = Pod(Mesh, "l4-other", "10.0.0.9") is var p ? p with { Metadata = p.Metadata with { Annotations = new Dictionary<string, string> { [MeshLevels.Key] = "l4" } } } : null;
        var conflicted = MeshModel.Build(elsewhere with { Pods = [.. elsewhere.Pods, l4InMesh!] }).StatusOf("ct").Cond("Accepted");
        Assert.Equal(("False", "Conflicted"), (conflicted.Status, conflicted.Reason));
        Assert.Contains($"but namespace {Consumer} has none.", conflicted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void D1_a_TCPRoute_losing_on_one_port_with_no_l4_workloads_stays_Accepted_on_the_others_and_says_why()
    {
        var model = Model(
            Http(Mesh, "h", Parent("echo", port: 9090), Rule(Prefix("/"), Backend("echo-v1", 9090))),
            Tcp(Mesh, "t", Parent("echo"), Backend("echo-v2", 9090)));
        var accepted = model.StatusOf("t").Cond("Accepted");
        Assert.Equal("True", accepted.Status);
        Assert.Contains("Not applied where another route type wins: on port 9090 HTTPRoute", accepted.Message, StringComparison.Ordinal);
        Assert.Contains("but there are none.", accepted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void H_level_notes_say_the_rule_and_cite_no_document_users_do_not_have()
    {
        var model = MeshModel.Build(WithL4Client(
            Http(Mesh, "h", Parent("echo"), Rule(Prefix("/"), Backend("echo-v1", 80))),
            Tcp(Mesh, "t", Parent("echo", port: 9090), Backend("echo-v2", 9090))));
        var messages = model.Statuses.SelectMany(s => s.Parents).SelectMany(p => p.Conditions).Select(c => c.Message).ToList();
        Assert.Contains(messages, m => m.Contains("l4 workloads", StringComparison.Ordinal));
        Assert.All(messages, m => Assert.DoesNotContain("DESIGN", m, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("off", "off")]
    [InlineData(" L4 ", "l4")]
    [InlineData("l7", "l7")]
    [InlineData(null, "l7")]
    [InlineData("", "l7")]
    [InlineData("bogus", "l7")]
    public void MeshLevels_normalize_off_l4_and_default_to_l7(string? given, string expected) =>
        Assert.Equal(expected, MeshLevels.Normalize(given));

    [Fact]
    public void The_requested_level_is_the_first_valid_one_template_annotation_label_then_namespace_annotation_label()
    {
        Dictionary<string, string> Map(string? level) => level is null ? [] : new() { [MeshLevels.Key] = level, [MeshLevels.MtlsKey] = level == "off" ? "Permissive" : "nonsense" };

        Assert.Equal("off", MeshLevels.Requested([Map("off"), Map("l7"), null, Map("l4")]));
        Assert.Equal("l4", MeshLevels.Requested([Map(null), Map("bogus"), null, Map(" L4 ")])); // unknown is skipped, not l7
        Assert.Null(MeshLevels.Requested([Map(null), null, Map("maybe")]));
        Assert.Equal("permissive", MeshLevels.RequestedMtls([Map("l7"), Map("off")])); // "nonsense" skipped
        Assert.Null(MeshLevels.RequestedMtls([Map("l7")]));
    }
}
