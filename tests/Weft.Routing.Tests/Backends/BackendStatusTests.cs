using Weft.Api.Model;
using Weft.Routing.Backends;
using static Weft.Routing.Tests.BackendObjects;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests.Backends;

/// <summary>
/// Issue 17's status: BackendTLSPolicy and XBackendTrafficPolicy <c>status.ancestors[]</c> (the target as the ancestor),
/// XBackend <c>status.parents[]</c>, with the v1.6.1 CRDs' reasons, and each agreeing with what routing decided.
/// </summary>
public class BackendStatusTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    // ---- BackendTLSPolicy ----

    [Fact]
    public void Accepted_BackendTLSPolicy_has_one_ancestor_per_targetRef_the_target_itself()
    {
        var status = TlsModel([TlsPolicy("v1-tls", "echo-v1", minute: 1)], "example.com/mesh").BackendTlsPolicyStatuses.Single();

        Assert.Equal((BackendTlsPolicy.KindName, Mesh, "v1-tls", 1L), (status.Kind, status.Namespace, status.Name, status.Generation));
        var ancestor = Assert.Single(status.Ancestors);
        Assert.Equal(new ParentReference { Group = "", Kind = "Service", Namespace = Mesh, Name = "echo-v1" }, ancestor.AncestorRef);
        Assert.Equal("example.com/mesh", ancestor.ControllerName);
        Assert.Equal(("True", "Accepted"), Cond(ancestor, "Accepted"));
        Assert.Contains("SNI echo-v1.example.test, validated against ConfigMap", Message(ancestor, "Accepted"), StringComparison.Ordinal);
        Assert.Equal(("True", "ResolvedRefs"), Cond(ancestor, "ResolvedRefs"));
    }

    [Fact]
    public void Older_BackendTLSPolicy_wins_and_the_newer_is_Conflicted()
    {
        var model = TlsModel([TlsPolicy("a-newer", "echo-v1", minute: 2), TlsPolicy("z-older", "echo-v1", minute: 1)],
            routes: [Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80)))]);

        Assert.Equal($"BackendTLSPolicy {Mesh}/z-older", model.Policy("echo").Rules.Single().Backends.Single().Tls!.Source);
        Assert.Equal(("True", "Accepted"), Cond(Ancestor(model, "z-older"), "Accepted"));
        Assert.Equal(("False", "Conflicted"), Cond(Ancestor(model, "a-newer"), "Accepted"));
        Assert.Contains($"BackendTLSPolicy {Mesh}/z-older (created 2025-01-01T00:01:00Z) applies to Service {Mesh}/echo-v1 instead", Message(Ancestor(model, "a-newer"), "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void Of_two_as_old_BackendTLSPolicies_the_first_by_name_wins_and_the_other_is_Conflicted()
    {
        var model = TlsModel([TlsPolicy("b", "echo-v1", minute: 1), TlsPolicy("a", "echo-v1", minute: 1)]);

        Assert.Equal($"BackendTLSPolicy {Mesh}/a", model.Policy("echo-v1").DefaultBackend!.Tls!.Source);
        Assert.Equal("True", Cond(Ancestor(model, "a"), "Accepted").Status);
        Assert.Equal(("False", "Conflicted"), Cond(Ancestor(model, "b"), "Accepted"));
    }

    [Fact]
    public void A_policy_naming_a_port_and_one_for_the_whole_Service_do_not_conflict()
    {
        var model = TlsModel([TlsPolicy("whole", "echo-v1", minute: 1), TlsPolicy("http-only", "echo-v1", minute: 2, section: "http")]);

        var port = Ancestor(model, "http-only");
        Assert.Equal("http", port.AncestorRef.SectionName);
        Assert.Equal("True", Cond(port, "Accepted").Status);
        Assert.Equal("True", Cond(Ancestor(model, "whole"), "Accepted").Status);
        Assert.Contains("except port(s) \"http\"", Message(Ancestor(model, "whole"), "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_policies_naming_the_same_port_conflict()
    {
        var model = TlsModel([TlsPolicy("older", "echo-v1", minute: 1, section: "http"), TlsPolicy("newer", "echo-v1", minute: 2, section: "http")]);

        Assert.Equal(("False", "Conflicted"), Cond(Ancestor(model, "newer"), "Accepted"));
        Assert.Contains("port \"http\"", Message(Ancestor(model, "newer"), "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_target_is_TargetNotFound()
    {
        var ancestor = Ancestor(TlsModel([TlsPolicy("p", "nowhere", minute: 1)]), "p");

        Assert.Equal(("False", "TargetNotFound"), Cond(ancestor, "Accepted"));
        Assert.Contains($"Service {Mesh}/nowhere not found", Message(ancestor, "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void SectionName_naming_no_port_is_TargetNotFound()
    {
        var ancestor = Ancestor(TlsModel([TlsPolicy("p", "echo-v1", minute: 1, section: "nope")]), "p");

        Assert.Equal(("False", "TargetNotFound"), Cond(ancestor, "Accepted"));
        Assert.Contains("no port named \"nope\" (80 \"http\"", Message(ancestor, "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void BackendTLSPolicy_on_a_target_other_than_a_Service_is_Invalid()
    {
        var policy = TlsPolicy("p", "api", minute: 1) with
        {
            Spec = TlsPolicy("p", "api", minute: 1).Spec with
            {
                TargetRefs = [new PolicyTargetReference { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Name = "api" }],
            },
        };
        var ancestor = Ancestor(TlsModel([policy]), "p");

        Assert.Equal(new ParentReference { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Namespace = Mesh, Name = "api" }, ancestor.AncestorRef);
        Assert.Equal(("False", "Invalid"), Cond(ancestor, "Accepted"));
    }

    /// <summary>GEP-1897's CA rules as the v1.6.1 CRD words them: each bad ref in ResolvedRefs, all bad NoValidCACertificate, an unknown set Invalid; connections fail (500) in every case.</summary>
    [Theory]
    [InlineData("missing-configmap", "False/NoValidCACertificate", "False/InvalidCACertificateRef", "ConfigMap gateway-conformance-mesh/nowhere (caCertificateRefs) not found")]
    [InlineData("no-key", "False/NoValidCACertificate", "False/InvalidCACertificateRef", "has no key ca.crt")]
    [InlineData("not-pem", "False/NoValidCACertificate", "False/InvalidCACertificateRef", "holds no PEM certificate")]
    [InlineData("secret", "False/NoValidCACertificate", "False/InvalidKind", "caCertificateRefs names Secret ca")]
    [InlineData("one-bad-of-two", "True/Accepted", "False/InvalidCACertificateRef", "fail (500)")]
    [InlineData("well-known", "False/Invalid", "True/ResolvedRefs", "wellKnownCACertificates \"example.com/roots\" is not a set Weft knows")]
    public void CA_problems_have_the_CRDs_reasons(string what, string accepted, string resolvedRefs, string words)
    {
        LocalObjectReference Map(string name) => new() { Group = "", Kind = "ConfigMap", Name = name };
        var validation = TlsPolicy("p", "echo-v1", minute: 1).Spec.Validation;
        validation = what switch
        {
            "missing-configmap" => validation with { CaCertificateRefs = [Map("nowhere")] },
            "no-key" or "not-pem" => validation with { CaCertificateRefs = [Map(what)] },
            "secret" => validation with { CaCertificateRefs = [new LocalObjectReference { Group = "", Kind = "Secret", Name = "ca" }] },
            "one-bad-of-two" => validation with { CaCertificateRefs = [Map("ca"), Map("nowhere")] },
            _ => validation with { CaCertificateRefs = [], WellKnownCaCertificates = "example.com/roots" },
        };
        ConfigMap[] maps =
        [
            Ca(),
            new() { ApiVersion = "v1", Metadata = Meta(Mesh, "no-key"), Data = new Dictionary<string, string> { ["tls.crt"] = CaPem } },
            new() { ApiVersion = "v1", Metadata = Meta(Mesh, "not-pem"), Data = new Dictionary<string, string> { ["ca.crt"] = "hello" } },
        ];
        var policy = TlsPolicy("p", "echo-v1", minute: 1);
        var model = MeshModel.Build(Base() with { BackendTlsPolicies = [policy with { Spec = policy.Spec with { Validation = validation } }], ConfigMaps = maps });

        var ancestor = Ancestor(model, "p");
        string Of(string type) => Cond(ancestor, type) is var (status, reason) ? $"{status}/{reason}" : "";
        Assert.Equal((accepted, resolvedRefs), (Of("Accepted"), Of("ResolvedRefs")));
        Assert.Contains(words, string.Join(" ", ancestor.Conditions.Select(c => c.Message)), StringComparison.Ordinal);
        Assert.NotNull(model.Policy("echo-v1").DefaultBackend!.Invalid); // "connections using an invalid CACertificateRef MUST fail"
    }

    // ---- XBackendTrafficPolicy ----

    [Fact]
    public void Older_XBackendTrafficPolicy_wins_and_the_newer_is_Conflicted()
    {
        var model = TrafficModel([TrafficPolicy("newer", "echo-v1", minute: 2, percent: 50), TrafficPolicy("older", "echo-v1", minute: 1, percent: 10)]);

        Assert.Equal(10, model.Policy("echo-v1").DefaultBackend!.RetryBudget!.Percent);
        var older = Assert.Single(model.BackendTrafficPolicyStatuses.Single(s => s.Name == "older").Ancestors);
        Assert.Equal(("True", "Accepted"), Cond(older, "Accepted"));
        Assert.Equal("Accepted", Assert.Single(older.Conditions).Type); // no references to resolve
        var newer = model.BackendTrafficPolicyStatuses.Single(s => s.Name == "newer").Ancestors.Single();
        Assert.Equal(("False", "Conflicted"), Cond(newer, "Accepted"));
        Assert.Contains($"XBackendTrafficPolicy {Mesh}/older", Message(newer, "Accepted"), StringComparison.Ordinal);
    }

    [Fact]
    public void Accepted_XBackendTrafficPolicy_says_what_it_gives_the_backend()
    {
        var policy = TrafficPolicy("p", "echo-v1", minute: 1, percent: 5, interval: "1m");
        policy = policy with { Spec = policy.Spec with { SessionPersistence = new BackendSessionPersistence { SessionName = "shop" } } };
        var ancestor = TrafficModel([policy]).BackendTrafficPolicyStatuses.Single().Ancestors.Single();

        Assert.Equal(new ParentReference { Group = "", Kind = "Service", Namespace = Mesh, Name = "echo-v1" }, ancestor.AncestorRef);
        Assert.Equal($"Gives Service {Mesh}/echo-v1 a retry budget of 5% of requests over 60 s (503 past it) and session persistence by cookie shop.", Message(ancestor, "Accepted"));
    }

    [Theory]
    [InlineData("", "Service", "nowhere", "TargetNotFound")]
    [InlineData(GatewayApi.ExperimentalGroup, "XBackend", "nowhere", "TargetNotFound")]
    [InlineData(GatewayApi.ExperimentalGroup, "XBackend", "api", "Accepted")]
    [InlineData(GatewayApi.Group, "HTTPRoute", "r", "Invalid")]
    public void XBackendTrafficPolicy_targets_a_Service_or_XBackend_of_its_namespace(string group, string kind, string name, string reason)
    {
        var policy = TrafficPolicy("p", "x", minute: 1);
        policy = policy with { Spec = policy.Spec with { TargetRefs = [new PolicyTargetReference { Group = group, Kind = kind, Name = name }] } };
        var model = MeshModel.Build(Base() with { BackendTrafficPolicies = [policy], XBackends = [ExternalApi()] });

        Assert.Equal(reason, model.BackendTrafficPolicyStatuses.Single().Ancestors.Single().Conditions.Single().Reason);
    }

    // ---- XBackend ----

    [Fact]
    public void XBackend_no_route_refers_to_has_no_parents()
    {
        var status = XBackendModel([ExternalApi()]).XBackendStatuses.Single();

        Assert.Equal((Mesh, "api", 1L), (status.Namespace, status.Name, status.Generation));
        Assert.Empty(status.Parents);
    }

    [Fact]
    public void XBackend_has_one_parent_per_Service_its_routes_bind_to()
    {
        var model = XBackendModel([ExternalApi(port: 80)],
            Http(Mesh, "a", Echo80, Rule(Prefix("/a"), ToXBackend("api"))),
            Http(Mesh, "b", Parent("echo", port: 8080), Rule(Prefix("/b"), ToXBackend("api"))),
            Http(Mesh, "c", Parent("echo-v2", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80)).With(Mirror(ToXBackend("api")))));

        var parents = model.XBackendStatuses.Single().Parents;
        Assert.Equal(
            [new ParentReference { Group = "", Kind = "Service", Namespace = Mesh, Name = "echo" }, new ParentReference { Group = "", Kind = "Service", Namespace = Mesh, Name = "echo-v2" }],
            parents.Select(p => p.ParentRef));
        Assert.All(parents, p => Assert.Equal(("True", "Accepted"), (p.Condition("Accepted")!.Status, p.Condition("Accepted")!.Reason)));
        Assert.Equal($"HTTPRoute {Mesh}/a, HTTPRoute {Mesh}/b on Service {Mesh}/echo send traffic to api.example.test:80 (XBackend {Mesh}/api) in plaintext; addresses resolved by the sidecar at request time.",
            parents[0].Condition("Accepted")!.Message);
        Assert.Equal(MeshModel.DefaultControllerName, parents[0].ControllerName);
    }

    [Theory]
    [InlineData("mcp", "has protocol MCP")]
    [InlineData("client-and-server", "tls.mode ClientAndServer")]
    [InlineData("ip", "names the IP address 192.0.2.1")]
    [InlineData("h2c", "has protocol H2C")]
    public void XBackend_Weft_cannot_honour_is_UnsupportedValue(string what, string words)
    {
        var tls = Validated("api.example.test", "ca");
        var backend = what switch
        {
            "mcp" => ExternalApi() with { Spec = ExternalApi().Spec with { Protocol = XBackendProtocol.Mcp } },
            "client-and-server" => ExternalApi(tls: tls with { Mode = XBackendTlsMode.ClientAndServer, ClientCertificateRef = new SecretObjectReference { Name = "client" } }),
            "ip" => ExternalApi() with { Spec = ExternalApi().Spec with { ExternalHostname = "192.0.2.1" } },
            _ => ExternalApi(tls: tls) with { Spec = ExternalApi(tls: tls).Spec with { Protocol = XBackendProtocol.H2c } },
        };
        var model = XBackendModel([backend], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var accepted = model.XBackendStatuses.Single().Parents.Single().Condition("Accepted")!;
        Assert.Equal(("False", "UnsupportedValue"), (accepted.Status, accepted.Reason));
        Assert.Contains(words, accepted.Message, StringComparison.Ordinal);
        Assert.NotNull(model.Policy("echo").Rules.Single().Backends.Single().Invalid); // the route refuses it too
    }

    [Fact]
    public void XBackend_with_an_unusable_CA_is_InvalidCACertificateRef()
    {
        var model = XBackendModel([ExternalApi(tls: Validated("api.example.test", "nowhere"))], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var accepted = model.XBackendStatuses.Single().Parents.Single().Condition("Accepted")!;
        Assert.Equal(("False", "InvalidCACertificateRef"), (accepted.Status, accepted.Reason));
        Assert.Contains($"ConfigMap {Mesh}/nowhere", accepted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_kind_unfit_for_the_XBackend_is_the_routes_problem_not_the_XBackends()
    {
        var model = XBackendModel([ExternalApi() with { Spec = ExternalApi().Spec with { Protocol = XBackendProtocol.Tcp } }], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        Assert.Equal(RouteConditions.UnsupportedProtocol, model.StatusOf("r").Cond("ResolvedRefs").Reason);
        Assert.Equal("True", model.XBackendStatuses.Single().Parents.Single().Condition("Accepted")!.Status);
    }

    [Fact]
    public void A_reference_without_a_ReferenceGrant_and_a_parent_that_binds_nothing_make_no_parent()
    {
        var elsewhere = ExternalApi() with { Metadata = Meta("egress", "api") };
        var model = XBackendModel([ExternalApi(), elsewhere],
            Http(Mesh, "ungranted", Echo80, Rule(Prefix("/"), ToXBackend("api", ns: "egress"))),
            Http(Mesh, "unbound", Parent("nowhere", port: 80), Rule(Prefix("/"), ToXBackend("api"))));

        Assert.All(model.XBackendStatuses, s => Assert.Empty(s.Parents));
    }

    [Fact]
    public void XBackend_parents_stop_at_32()
    {
        var services = Enumerable.Range(0, 40).Select(i => Svc(Mesh, $"s{i}", $"10.96.1.{i}", Port(80, "http"))).ToList();
        var routes = services.Select(s => (Route)Http(Mesh, $"r-{s.Name}", Parent(s.Name, port: 80), Rule(Prefix("/"), ToXBackend("api")))).ToArray();
        var model = MeshModel.Build(Base(routes) with { Services = [.. Base().Services, .. services], XBackends = [ExternalApi()] });

        var parents = model.XBackendStatuses.Single().Parents;
        Assert.Equal(BackendStatuses.MaxParents, parents.Count);
        Assert.Equal("s0", parents[0].ParentRef.Name);
    }

    private static MeshModel TlsModel(BackendTlsPolicy[] policies, string controllerName = MeshModel.DefaultControllerName, params Route[] routes) =>
        MeshModel.Build(Base(routes) with { BackendTlsPolicies = policies, ConfigMaps = [Ca()] }, controllerName);

    private static MeshModel TrafficModel(XBackendTrafficPolicy[] policies) => MeshModel.Build(Base() with { BackendTrafficPolicies = policies });

    private static MeshModel XBackendModel(XBackend[] backends, params Route[] routes) => MeshModel.Build(Base(routes) with { XBackends = backends, ConfigMaps = [Ca()] });

    private static PolicyAncestorStatus Ancestor(MeshModel model, string policy) => model.BackendTlsPolicyStatuses.Single(s => s.Name == policy).Ancestors.Single();

    private static (string Status, string Reason) Cond(PolicyAncestorStatus ancestor, string type) =>
        ancestor.Conditions.Single(c => c.Type == type) is var c ? (c.Status, c.Reason) : default;

    private static string Message(PolicyAncestorStatus ancestor, string type) => ancestor.Conditions.Single(c => c.Type == type).Message;

    private static HttpRouteFilter Mirror(BackendRef to) =>
        new() { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new HttpRequestMirrorFilter { BackendRef = to } };
}
