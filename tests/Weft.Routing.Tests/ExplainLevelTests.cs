using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// <c>weft explain</c> at the caller's level (DESIGN decision 6) and the server's: an l4 caller gets L4 routes only and
/// its connection tunnelled, an off caller no route and no identity, and only a pod with a sidecar authorizes.
/// </summary>
public class ExplainLevelTests
{
    private const string L4Ns = "l4ns";
    private const string OffNs = "offns";

    private static readonly KeyValuePair<string, string> CanaryHeader = new("x-canary", "true");

    private static readonly HttpRoute Canary = Http(Mesh, "canary", Parent("echo", port: 80),
        Rule([new HttpRouteMatch().Headers(("x-canary", "true"))], Backend("echo-v2", 8080)));

    /// <summary>The conformance base with namespaces l4ns (labelled l4) and offns (labelled off), each with a client pod.</summary>
    private static MeshModel World(Route[] routes, Func<Pod, Pod>? server = null, string defaultInbound = DefaultInboundPolicies.AllUnauthenticated)
    {
        var world = Base(routes);
        static Namespace Ns(string name, string level) =>
            new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [MeshLevels.Key] = level } } };
        return MeshModel.Build(world with
        {
            Namespaces = [Ns(L4Ns, MeshLevels.L4), Ns(OffNs, MeshLevels.Off)],
            Pods = [.. world.Pods.Select(server ?? (p => p)), Pod(L4Ns, "client-1", "10.0.2.1"), Pod(OffNs, "client-1", "10.0.3.1"), Annotated(Pod(Mesh, "l4pod-1", "10.0.0.9"), (MeshLevels.Key, MeshLevels.L4))],
        }, defaultInboundPolicy: defaultInbound);
    }

    private static Pod Annotated(Pod pod, params (string Key, string Value)[] annotations) =>
        pod with { Metadata = pod.Metadata with { Annotations = annotations.ToDictionary(a => a.Key, a => a.Value) } };

    private static ExplainRequest Get(string host, int port, params KeyValuePair<string, string>[] headers) => new(host, port, "GET", "/", headers);

    [Fact]
    public void An_l4_caller_by_its_namespace_gets_no_HTTPRoute_and_its_connection_goes_to_the_Service_s_endpoints()
    {
        var e = World([Canary]).Explain(L4Ns, Get($"echo.{Mesh}", 80, CanaryHeader));

        Assert.Equal(MeshLevels.L4, e.ClientLevel);
        Assert.Null(e.Matched);
        Assert.Equal(PlanOutcome.ForwardToService, e.Decision);
        Assert.Equal(PolicyProtocol.Tcp, e.Protocol);
        var route = Assert.Single(e.Routes);
        Assert.False(route.Applied);
        Assert.Equal("not applied: the caller is at level l4, for which HTTPRoutes do not exist", route.Note);
        Assert.Equal(2, e.Backends.Single().Backend.Endpoints.Count);
        Assert.Contains("level:    l4 (namespace l4ns label weft.dev/mesh)", e.ToLines()[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_l4_caller_by_its_pod_annotation_in_an_l7_namespace_gets_no_HTTPRoute()
    {
        var model = World([Canary]);

        var l4 = model.Explain(Mesh, Get("echo", 80, CanaryHeader) with { ClientPod = $"{Mesh}/l4pod-1" });
        var l7 = model.Explain(Mesh, Get("echo", 80, CanaryHeader) with { ClientPod = $"{Mesh}/echo-v1-abc-1" });

        Assert.Equal((MeshLevels.L4, $"pod {Mesh}/l4pod-1 annotation weft.dev/mesh", PlanOutcome.ForwardToService), (l4.ClientLevel, l4.ClientLevelSource, l4.Decision));
        Assert.Equal((MeshLevels.L7, PlanOutcome.Forward, "echo-v2"), (l7.ClientLevel, l7.Decision, l7.Backends.Single().Backend.Name));
    }

    [Fact]
    public void An_l4_caller_gets_the_TCPRoute_an_HTTPRoute_outranks_for_l7_callers()
    {
        var model = World([
            Http(Mesh, "mix-http", Parent("echo"), Rule(Prefix("/"), Backend("echo-v1", 8080))),
            Tcp(Mesh, "mix-tcp", Parent("echo", port: 9090), Backend("echo-v2", 9090)),
        ]);

        var e = model.Explain(L4Ns, Get($"echo.{Mesh}", 9090));

        Assert.Equal(PlanOutcome.Forward, e.Decision);
        Assert.Equal("echo-v2", e.Backends.Single().Backend.Name);
        Assert.Contains(e.Routes, r => r is { Kind: "TCPRoute", Name: "mix-tcp", Applied: true });
        Assert.Contains(e.Routes, r => r is { Kind: "HTTPRoute", Name: "mix-http", Applied: false });
        Assert.Null(e.ConflictDecision);
        var l7 = model.Explain(Mesh, Get("echo", 9090));
        Assert.Equal("HTTPRoute", Assert.Single(l7.Routes, r => r.Applied).Kind); // l7: D1
        Assert.Equal("not applied: HTTPRoute takes precedence on this port (gamma-spec D1) for this l7 caller; l4 workloads see no HTTPRoute (its status says whether any use it)",
            Assert.Single(l7.Routes, r => r.Kind == "TCPRoute").Note); // not "status Conflicted": with l4 pods it is Accepted for them
    }

    [Fact]
    public void A_caller_without_a_sidecar_has_no_identity_no_route_and_a_strict_mTLS_pod_refuses_it()
    {
        var e = World([Canary]).Explain(OffNs, Get($"echo.{Mesh}", 80, CanaryHeader) with { Identity = "spiffe://cluster.local/ns/offns/sa/default" });

        Assert.Equal(MeshLevels.Off, e.ClientLevel);
        Assert.Null(e.Request.Identity);
        Assert.All(e.Routes, r => Assert.False(r.Applied));
        Assert.Null(e.Matched);
        Assert.Equal("kube-proxy sends the connection to one of the Service's 2 endpoint(s), picked at random: refused: the pod's sidecar is strict mTLS and the caller has no sidecar: the connection is closed without a byte", e.Outcome);
        Assert.DoesNotContain(e.ToLines(), l => l.StartsWith("caller:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_caller_without_a_sidecar_is_accepted_in_plaintext_by_a_permissive_pod_whose_authorization_sees_no_identity()
    {
        static Pod Permissive(Pod p) => Annotated(p, (MeshLevels.MtlsKey, MeshLevels.MtlsPermissive));

        var open = World([], Permissive).Explain(OffNs, Get($"echo.{Mesh}", 80));
        var authenticatedOnly = World([], Permissive, DefaultInboundPolicies.AllAuthenticated).Explain(OffNs, Get($"echo.{Mesh}", 80));

        Assert.StartsWith("kube-proxy sends the connection to one of the Service's 2 endpoint(s), picked at random: accepted in plaintext by the pod's sidecar (permissive mTLS), the caller unauthenticated", open.Outcome, StringComparison.Ordinal);
        Assert.EndsWith("its authorization admits the connection", open.Outcome, StringComparison.Ordinal);
        Assert.EndsWith("its authorization closes the connection", authenticatedOnly.Outcome, StringComparison.Ordinal);
        Assert.All(authenticatedOnly.Backends.Single().Authorization!, a => Assert.Equal(AuthorizationVerdict.DeniedByDefault, a.Decision.Verdict));
    }

    [Fact]
    public void A_caller_without_a_sidecar_reaches_a_pod_without_one_as_sent()
    {
        static Pod Off(Pod p) => Annotated(p, (MeshLevels.Key, MeshLevels.Off));

        var e = World([], Off).Explain(OffNs, Get("10.0.0.1", 8080));

        Assert.Equal("the connection goes to the pod IP as addressed: the app gets it as sent (no sidecar on either side)", e.Outcome);
    }

    [Fact]
    public void Only_a_pod_with_a_sidecar_authorizes_a_server_without_one_gets_the_request_in_plaintext()
    {
        static Pod V2Off(Pod p) => p.Name == "echo-v2-abc-1" ? Annotated(p, (MeshLevels.Key, MeshLevels.Off)) : p;
        var model = World([], V2Off, DefaultInboundPolicies.Deny);

        var e = model.Explain(Mesh, Get("echo", 80) with { Identity = $"spiffe://cluster.local/ns/{Mesh}/sa/default" });

        var authz = e.Backends.Single().Authorization!;
        Assert.Equal($"{Mesh}/echo-v1-abc-1", Assert.Single(authz).Pod);
        Assert.Contains($"10.0.0.2:8080 ({Mesh}/echo-v2-abc-1, no mesh identity: plaintext, no sidecar authorizes it)", e.Backends.Single().Note, StringComparison.Ordinal);
        Assert.Contains("403 forbidden at 1 of 2 endpoints", e.Outcome, StringComparison.Ordinal);
    }
}
