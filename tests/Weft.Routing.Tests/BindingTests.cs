using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec A: binding a route to a Service frontend.</summary>
public class BindingTests
{
    private static HttpRoute Echo(string name, ParentReference parent) =>
        Http(Mesh, name, parent, Rule(Prefix("/"), Backend("echo-v1", 8080)).With(SetResponseHeader("X-Header-Set", "set")));

    [Fact]
    public void A1_only_core_Service_parents_are_mesh_parents()
    {
        var model = Model(
            Http(Mesh, "gw", [Parent("gateway", kind: "Gateway", group: GatewayApi.Group)], Rule(Prefix("/"), Backend("echo-v1", 80))),
            Echo("core-alias", Parent("echo-v2", group: "core")),
            Http(Mesh, "wrong-group", [Parent("echo", group: "example.com")], Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Empty(model.StatusOf("gw").Parents);
        Assert.Empty(model.StatusOf("wrong-group").Parents);
        Assert.Equal(PolicyView.None, model.Policy("echo").View);
        Assert.Equal("True", model.StatusOf("core-alias").Cond("Accepted").Status);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2").View);
    }

    [Fact]
    public void A2_parentRef_namespace_defaults_to_the_route_namespace()
    {
        var model = Model(Echo("r", Parent("echo-v2")));
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2").View);
        Assert.Equal("True", model.StatusOf("r").Cond("Accepted").Status);
    }

    [Fact]
    public void A3_headless_and_ExternalName_Services_are_not_parents()
    {
        var snapshot = Base(Echo("headless", Parent("db")), Echo("external", Parent("ext")));
        snapshot = snapshot with { Services = [.. snapshot.Services, Svc(Mesh, "db", "None", Port(5432)), ExternalName(Mesh, "ext")] };
        var model = MeshModel.Build(snapshot);

        var headless = model.StatusOf("headless").Cond("Accepted");
        Assert.Equal(("False", "NoMatchingParent"), (headless.Status, headless.Reason));
        Assert.Contains("headless", headless.Message, StringComparison.Ordinal);
        var external = model.StatusOf("external").Cond("Accepted");
        Assert.Equal(("False", "NoMatchingParent"), (external.Status, external.Reason));
        Assert.Contains("ExternalName", external.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A3_missing_parent_Service_is_NoMatchingParent()
    {
        var c = Model(Echo("r", Parent("cart", ns: "shop"))).StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "NoMatchingParent"), (c.Status, c.Reason));
        Assert.StartsWith("Service shop/cart not found", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A4_parentRef_port_binds_only_that_service_port()
    {
        // MeshPorts: route A on echo-v1 port 80, route B on echo-v2 (all ports).
        var model = Model(Echo("a", Parent("echo-v1", port: 80)), Echo("b", Parent("echo-v2")));

        Assert.Equal(PolicyView.Producer, model.Policy("echo-v1", 80).View);
        Assert.Equal(PolicyView.None, model.Policy("echo-v1", 8080).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2", 80).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2", 8080).View);
    }

    [Fact]
    public void A5_sectionName_selects_the_port_by_name_and_port_and_name_must_agree()
    {
        var model = Model(
            Echo("by-name", Parent("echo-v1", section: "http-alt")),
            Echo("both", Parent("echo-v2", port: 80, section: "http")),
            Echo("disagree", Parent("echo", port: 80, section: "grpc")));

        Assert.Equal(PolicyView.None, model.Policy("echo-v1", 80).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v1", 8080).View);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2", 80).View);
        Assert.Equal("NoMatchingParent", model.StatusOf("disagree").Cond("Accepted").Reason);
    }

    [Fact]
    public void A5_no_matching_port_is_NoMatchingParent_listing_the_Service_ports()
    {
        var snapshot = Base(Echo("r", Parent("cart", ns: "shop", port: 1234)));
        snapshot = snapshot with { Services = [.. snapshot.Services, Svc("shop", "cart", "10.96.1.1", Port(80, "http"), Port(7070, "grpc"))] };
        var c = MeshModel.Build(snapshot).StatusOf("r").Cond("Accepted");
        Assert.Equal(("False", "NoMatchingParent"), (c.Status, c.Reason));
        Assert.StartsWith("parentRef port 1234 matches no port of Service shop/cart (80 \"http\", 7070 \"grpc\")", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A7_traffic_to_a_pod_IP_bypasses_routes()
    {
        // MeshFrontend: the route on echo-v2 applies to its frontend, not to podIP:8080.
        var model = Model(Echo("r", Parent("echo-v2")));
        var frontend = model.ResolveFrontend(Mesh, "10.0.0.2", 8080)!;
        Assert.Equal(FrontendAddress.PodIP, frontend.AddressedBy);

        var policy = model.Policy("10.0.0.2", 8080);
        Assert.Empty(policy.Rules);
        Assert.Equal(PolicyView.None, policy.View);
        Assert.Equal((Mesh, "", 8080), (policy.ServiceNamespace, policy.ServiceName, policy.Port)); // no Service addressed
        Assert.Equal((Mesh, ""), (policy.DefaultBackend!.Namespace, policy.DefaultBackend.Name));
        Assert.Equal("pod gateway-conformance-mesh/echo-v2-abc-1 port 8080", policy.DefaultBackend.Display());
        var endpoint = Assert.Single(policy.DefaultBackend!.Endpoints);
        Assert.Equal(("10.0.0.2", 8080, "gateway-conformance-mesh/echo-v2-abc-1"), (endpoint.Address, endpoint.Port, endpoint.Pod));
        Assert.Equal("spiffe://cluster.local/ns/gateway-conformance-mesh/sa/echo-v2-sa", endpoint.Identity);
        Assert.Equal(PolicyView.Producer, model.Policy("echo-v2").View);
    }

    [Fact]
    public void A_pod_s_sidecar_admin_port_is_reached_directly_in_plaintext_not_through_its_sidecar()
    {
        // A meshed Prometheus scraping podIP:15000/metrics: the port is never captured and the sidecar's inbound refuses to
        // forward to its own ports, so the client's sidecar connects to it as to a pod without a sidecar.
        var model = Model();
        var admin = Assert.Single(model.Policy("10.0.0.2", MeshPorts.Admin).DefaultBackend!.Endpoints);
        Assert.Equal(("10.0.0.2", MeshPorts.Admin, "gateway-conformance-mesh/echo-v2-abc-1", null), (admin.Address, admin.Port, admin.Pod, admin.Identity));
        Assert.NotNull(Assert.Single(model.Policy("10.0.0.2", 8080).DefaultBackend!.Endpoints).Identity);
    }

    /// <summary>The base mesh with echo-v2's pod given an injected sidecar container (and <paramref name="appPorts"/>).</summary>
    private static MeshModel WithSidecar(Container sidecar, params ContainerPort[] appPorts)
    {
        var snapshot = Base();
        var pods = snapshot.Pods.Select(p => p.Name != "echo-v2-abc-1" ? p : p with
        {
            Spec = p.Spec with { Containers = [sidecar, new Container { Name = "echo", Ports = appPorts }] },
        });
        return MeshModel.Build(snapshot with { Pods = [.. pods] });
    }

    private static Container Sidecar(string[]? command = null, params string[] args) => new()
    {
        Name = MeshPorts.SidecarContainer,
        Command = command ?? ["/usr/local/bin/weft-proxy"],
        Args = ["--pod", "$(POD_NAMESPACE)/$(POD_NAME)", "--capture", .. args],
        Ports = [new ContainerPort { Name = "weft-admin", Port = MeshPorts.Admin }],
    };

    private static string? IdentityAt(MeshModel model, int port) =>
        Assert.Single(model.Policy("10.0.0.2", port).DefaultBackend!.Endpoints).Identity;

    [Fact]
    public void The_admin_port_reached_in_plaintext_is_the_one_the_pod_s_injected_sidecar_listens_on()
    {
        // The weft-proxy container's --admin-port, as weft-proxy reads it; without one, the default it binds.
        Assert.Null(IdentityAt(WithSidecar(Sidecar()), MeshPorts.Admin));
        Assert.NotNull(IdentityAt(WithSidecar(Sidecar()), 8080));
        var moved = WithSidecar(Sidecar(null, "--admin-port", "16000"));
        Assert.Null(IdentityAt(moved, 16000));
        Assert.NotNull(IdentityAt(moved, 8080));
    }

    [Fact]
    public void A_moved_admin_port_is_read_after_the_kubelet_expands_the_container_s_variables()
    {
        // The kubelet replaces $(NAME) with the container's variable before weft-proxy reads its command line.
        var byVariable = Sidecar(null, "--admin-port", "$(ADMIN_PORT)") with { Env = [new EnvVar { Name = "ADMIN_PORT", Value = "16007" }] };
        Assert.Equal(16007, MeshPorts.AdminOf(WithSidecarPod(byVariable)));
        Assert.Null(IdentityAt(WithSidecar(byVariable), 16007));
        Assert.NotNull(IdentityAt(WithSidecar(byVariable), MeshPorts.Admin));
        // A value may name the variables before it; the name of the option may come from one too.
        Assert.Equal(16008, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "$(FLAG)", "$(PORT)") with
        {
            Env = [new EnvVar { Name = "BASE", Value = "1600" }, new EnvVar { Name = "PORT", Value = "$(BASE)8" }, new EnvVar { Name = "FLAG", Value = "--admin-port" }],
        })));
        // Left as written, so refused by weft-proxy and moving nothing: a variable the container does not define, one
        // whose value is not in the spec (valueFrom: known only where the pod runs), and $$, the kubelet's escape of $.
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--admin-port", "$(ADMIN_PORT)"))));
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--admin-port", "$(ADMIN_PORT)") with { Env = [new EnvVar { Name = "ADMIN_PORT" }] })));
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--admin-port", "$$(ADMIN_PORT)") with { Env = [new EnvVar { Name = "ADMIN_PORT", Value = "16009" }] })));
    }

    [Fact]
    public void A_moved_admin_port_is_read_from_the_sidecar_s_command_line_the_last_flag_winning()
    {
        var sidecar = Sidecar(null, "--admin-port", "16000", "--mtls", "strict", "--admin-port", "16001");
        Assert.Equal(16001, MeshPorts.AdminOf(WithSidecarPod(sidecar)));
        // Kubernetes runs command then args: a flag in the command counts, the binary (command[0]) is not an option.
        Assert.Equal(16002, MeshPorts.AdminOf(WithSidecarPod(Sidecar(["/usr/local/bin/weft-proxy", "--admin-port", "16002"]))));
        Assert.Equal(16003, MeshPorts.AdminOf(WithSidecarPod(Sidecar(["/usr/local/bin/weft-proxy", "--admin-port"]) with { Args = ["16003"] })));
        // --capture takes no value; the word after another option's name is its value, not an option.
        Assert.Equal(16004, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--capture", "--admin-port", "16004"))));
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--workload", "--admin-port", "16005"))));
        // A value weft-proxy refuses (it does not start) moves nothing; nor does a port declared without the flag.
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar(null, "--admin-port", "http"))));
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(WithSidecarPod(Sidecar() with { Ports = [new ContainerPort { Name = "weft-admin", Port = 16006 }] })));
        // A pod of weft up: no sidecar container in its spec, its sidecar runs beside it at the defaults.
        Assert.Equal(MeshPorts.Admin, MeshPorts.AdminOf(Pod(Mesh, "echo-v1-abc-1", "10.0.0.1")));
    }

    private static Pod WithSidecarPod(Container sidecar) =>
        Pod(Mesh, "p", "10.0.0.9") with { Spec = new PodSpec { Containers = [sidecar, new Container { Name = "app" }] } };

    [Fact]
    public void An_app_port_15000_of_a_pod_whose_sidecar_admin_port_is_elsewhere_is_reached_over_mTLS()
    {
        // Only the pod's own sidecar's admin port skips mTLS: 15000 is then the app's, captured and behind the sidecar.
        var model = WithSidecar(Sidecar(null, "--admin-port", "16000"), new ContainerPort { Name = "metrics", Port = MeshPorts.Admin });

        Assert.Equal("spiffe://cluster.local/ns/gateway-conformance-mesh/sa/echo-v2-sa", IdentityAt(model, MeshPorts.Admin));
        Assert.Null(IdentityAt(model, 16000));
    }

    [Fact]
    public void A8_the_ClusterIP_chooses_the_Service_not_the_Host_header()
    {
        // MeshFrontendHostname: a connection to echo-v2's ClusterIP gets echo-v2's route whatever the Host header says.
        var model = Model(Echo("r", Parent("echo-v2")));
        var f = model.ResolveFrontend(Mesh, "10.96.0.12", 80)!;
        Assert.Equal((FrontendAddress.ClusterIP, "echo-v2"), (f.AddressedBy, f.Name));
        Assert.Equal(PolicyView.Producer, model.Policy("10.96.0.12").View);
        Assert.Equal(PolicyView.None, model.Policy("10.96.0.11").View);
        Assert.Null(model.ResolveFrontend(Mesh, "10.96.0.12", 81));
    }

    [Fact]
    public void A9_hostnames_are_ignored_for_Service_parents()
    {
        var route = Echo("r", Parent("echo-v2"));
        route = route with { Spec = route.Spec with { Hostnames = ["not-echo.example.com"] } };
        var model = Model(route);
        Assert.Equal("True", model.StatusOf("r").Cond("Accepted").Status);
        Assert.NotNull(model.Route("/", host: "echo-v2"));
    }

    [Theory]
    [InlineData(Mesh, "echo", "echo")]
    [InlineData(Consumer, "echo.gateway-conformance-mesh", "echo")]
    [InlineData(Consumer, "echo.gateway-conformance-mesh.svc", "echo")]
    [InlineData(Consumer, "ECHO-v1.gateway-conformance-mesh.svc.cluster.local.", "echo-v1")]
    [InlineData(Consumer, "echo", null)]
    [InlineData(Mesh, "echo.other", null)]
    [InlineData(Mesh, "echo.gateway-conformance-mesh.svc.example.org", null)]
    public void A10_Service_names_resolve_like_cluster_DNS(string client, string host, string? service)
    {
        var f = Model().ResolveFrontend(client, host, 80);
        Assert.Equal(service, f?.Name);
        if (f is not null)
        {
            Assert.Equal(FrontendAddress.Name, f.AddressedBy);
        }
    }
}
