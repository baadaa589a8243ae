using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.BackendObjects;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>Issue 17: a route's backendRef to an XBackend (an external host), with the TLS the proxy originates to it.</summary>
public class ExternalBackendTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    [Fact]
    public void XBackend_ref_is_forwarded_with_addresses_resolved_at_run_time()
    {
        var model = Build([ExternalApi(tls: Validated("api.example.test", "example-ca"))], [Ca("example-ca")],
            Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api", port: 1234))));

        var backend = model.Policy("echo").Rules.Single().Backends.Single();
        Assert.Null(backend.Invalid);
        Assert.Empty(backend.Endpoints);
        var external = backend.External!;
        Assert.Equal(("api.example.test", 8443, 8443), (external.Hostname, external.Port, backend.Port)); // the XBackend's port, not the ref's
        Assert.Equal("api.example.test:8443", external.Authority);
        Assert.Equal(("api.example.test", $"ConfigMap {Mesh}/example-ca", $"XBackend {Mesh}/api"), (external.Tls!.ServerName, external.Tls.Roots, external.Tls.Source));
        Assert.Equal([CaPem], external.Tls.CaCertificatesPem);
        Assert.Equal(("True", "ResolvedRefs"), (model.StatusOf("r").Cond("ResolvedRefs").Status, model.StatusOf("r").Cond("ResolvedRefs").Reason));

        var plan = RequestPlanner.Plan(RouteTable.Build(model.Policy("echo")), "GET", "/", null, Headers(("Host", "echo")), 80, 0.5);
        Assert.Equal(PlanOutcome.Forward, plan.Outcome);
        Assert.False(plan.IsPlainForward); // the fast path leaves external backends to the full path
    }

    [Fact]
    public void XBackend_without_tls_is_plaintext_and_its_authority_drops_the_default_port()
    {
        var model = Build([ExternalApi(port: 80)], [], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var external = model.Policy("echo").Rules.Single().Backends.Single().External!;
        Assert.Null(external.Tls);
        Assert.Equal("api.example.test", external.Authority);
    }

    [Fact]
    public void ServerOnly_without_validation_checks_the_hostname_against_the_system_roots()
    {
        var model = Build([ExternalApi(tls: new XBackendTls { Mode = XBackendTlsMode.ServerOnly }, port: 443)], [], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var external = model.Policy("echo").Rules.Single().Backends.Single().External!;
        Assert.Equal(("api.example.test", "the system's roots"), (external.Tls!.ServerName, external.Tls.Roots));
        Assert.Empty(external.Tls.CaCertificatesPem);
        Assert.Equal("api.example.test", external.Authority);
    }

    [Fact]
    public void Subject_alt_names_are_carried_for_the_proxy_to_check()
    {
        var validation = Validated("sni.example.test", "example-ca").Validation! with
        {
            SubjectAltNames = [new SubjectAltName { Type = SubjectAltNameType.Uri, Uri = "spiffe://example.test/api" }],
        };
        var model = Build([ExternalApi(tls: new XBackendTls { Mode = XBackendTlsMode.ServerOnly, Validation = validation })], [Ca("example-ca")], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var tls = model.Policy("echo").Rules.Single().Backends.Single().External!.Tls!;
        Assert.Equal("sni.example.test", tls.ServerName);
        Assert.Equal(("URI", "spiffe://example.test/api"), (Assert.Single(tls.SubjectAltNames).Type, tls.SubjectAltNames[0].Value));
    }

    [Fact]
    public void Missing_XBackend_is_BackendNotFound_and_its_share_gets_500()
    {
        var model = Build([], [], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("nowhere"))));

        Assert.Equal(RouteConditions.BackendNotFound, model.Policy("echo").Rules.Single().Backends.Single().Invalid);
        var c = model.StatusOf("r").Cond("ResolvedRefs");
        Assert.Equal(("False", "BackendNotFound"), (c.Status, c.Reason));
        Assert.Contains($"XBackend {Mesh}/nowhere not found", c.Message, StringComparison.Ordinal);
        var plan = RequestPlanner.Plan(RouteTable.Build(model.Policy("echo")), "GET", "/", null, Headers(("Host", "echo")), 80, 0.5);
        Assert.Equal($"backend {Mesh}/nowhere is invalid: {RouteConditions.BackendNotFound}", plan.Message); // no port known, none made up
    }

    [Fact]
    public void Cross_namespace_XBackend_needs_a_ReferenceGrant()
    {
        var elsewhere = ExternalApi() with { Metadata = Meta("egress", "api") };
        var route = Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api", ns: "egress")));

        var refused = Build([elsewhere], [], route);
        Assert.Equal(RouteConditions.RefNotPermitted, refused.Policy("echo").Rules.Single().Backends.Single().Invalid);
        Assert.Contains("ReferenceGrant", refused.StatusOf("r").Cond("ResolvedRefs").Message, StringComparison.Ordinal);

        var grant = Grant();
        var granted = MeshModel.Build(Base(route) with { XBackends = [elsewhere], ReferenceGrants = [grant] });
        Assert.Null(granted.Policy("echo").Rules.Single().Backends.Single().Invalid);

        var otherKind = Grant(fromKind: "GRPCRoute");
        Assert.NotNull(MeshModel.Build(Base(route) with { XBackends = [elsewhere], ReferenceGrants = [otherKind] })
            .Policy("echo").Rules.Single().Backends.Single().Invalid);
    }

    [Theory]
    [InlineData("TCP", "http", RouteConditions.UnsupportedProtocol)]
    [InlineData("MCP", "http", RouteConditions.UnsupportedProtocol)]
    [InlineData("HTTP11", "grpc", RouteConditions.UnsupportedProtocol)]
    [InlineData("HTTP", "tcp", RouteConditions.UnsupportedProtocol)]
    [InlineData("HTTP2", "http", null)]
    [InlineData("H2C", "grpc", null)]
    [InlineData("TCP", "tcp", null)]
    [InlineData(null, "grpc", null)]
    public void Protocol_must_fit_the_route_kind(string? protocol, string routeKind, string? invalid)
    {
        var backend = ExternalApi(port: 8443) with { Spec = ExternalApi().Spec with { Protocol = protocol } };
        Route route = routeKind switch
        {
            "grpc" => Grpc(Mesh, "r", Parent("echo", port: 7070), GrpcRule([], ToXBackend("api"))),
            "tcp" => Tcp(Mesh, "r", Parent("echo", port: 9090), ToXBackend("api")),
            _ => Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))),
        };
        var model = Build([backend], [], route);

        var policy = routeKind switch { "grpc" => model.Policy("echo", 7070), "tcp" => model.Policy("echo", 9090), _ => model.Policy("echo") };
        var compiled = routeKind == "tcp" ? policy.L4Rules.Single().Backends.Single() : policy.Rules.Single().Backends.Single();
        Assert.Equal(invalid, compiled.Invalid);
        if (invalid is null)
        {
            Assert.Equal(routeKind switch { "grpc" => "http2", "tcp" => "tcp", _ => protocol == "HTTP2" ? "http2" : "http" }, compiled.AppProtocol);
        }
    }

    [Theory]
    [InlineData("missing-ca", "not found")]
    [InlineData("no-key", "has no key ca.crt")]
    [InlineData("not-pem", "holds no PEM certificate")]
    public void Unusable_CA_ConfigMap_is_InvalidCACertificateRef_and_the_share_gets_500(string configMap, string words)
    {
        ConfigMap[] maps =
        [
            new() { ApiVersion = "v1", Metadata = Meta(Mesh, "no-key"), Data = new Dictionary<string, string> { ["tls.crt"] = CaPem } },
            new() { ApiVersion = "v1", Metadata = Meta(Mesh, "not-pem"), Data = new Dictionary<string, string> { ["ca.crt"] = "hello" } },
        ];
        var model = Build([ExternalApi(tls: Validated("api.example.test", configMap))], maps, Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        Assert.Equal(RouteConditions.InvalidCaCertificateRef, model.Policy("echo").Rules.Single().Backends.Single().Invalid);
        var c = model.StatusOf("r").Cond("ResolvedRefs");
        Assert.Equal(("False", RouteConditions.InvalidCaCertificateRef), (c.Status, c.Reason));
        Assert.Contains($"ConfigMap {Mesh}/{configMap}", c.Message, StringComparison.Ordinal);
        Assert.Contains(words, c.Message, StringComparison.Ordinal);
        var plan = RequestPlanner.Plan(RouteTable.Build(model.Policy("echo")), "GET", "/", null, Headers(("Host", "echo")), 80, 0.5);
        Assert.Equal(PlanOutcome.InvalidBackend, plan.Outcome);
        Assert.Equal($"backend {Mesh}/api:8443 is invalid: {RouteConditions.InvalidCaCertificateRef}", plan.Message); // the XBackend's port: the backendRef has none
    }

    [Fact]
    public void ClientAndServer_is_refused_until_Weft_reads_Secrets()
    {
        var tls = new XBackendTls
        {
            Mode = XBackendTlsMode.ClientAndServer,
            ClientCertificateRef = new SecretObjectReference { Name = "client" },
            Validation = Validation("api.example.test", "example-ca"),
        };
        var model = Build([ExternalApi(tls: tls)], [Ca("example-ca")], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        Assert.Equal(RouteConditions.UnsupportedValue, model.Policy("echo").Rules.Single().Backends.Single().Invalid);
        Assert.Contains("ClientAndServer", model.StatusOf("r").Cond("ResolvedRefs").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ip", "names the IP address 192.0.2.1")]
    [InlineData("tlsroute", "a TLSRoute passes the client's own TLS through")]
    [InlineData("h2c", "has protocol H2C (HTTP/2 without TLS)")]
    [InlineData("well-known", "wellKnownCACertificates \"example.com/roots\" is not a set Weft knows")]
    public void An_XBackend_the_proxy_cannot_honour_is_refused_with_UnsupportedValue(string what, string words)
    {
        var tls = Validated("api.example.test", "example-ca");
        var backend = what switch
        {
            "ip" => ExternalApi() with { Spec = ExternalApi().Spec with { ExternalHostname = "192.0.2.1" } },
            "h2c" => ExternalApi(tls: tls) with { Spec = ExternalApi(tls: tls).Spec with { Protocol = XBackendProtocol.H2c } },
            "well-known" => ExternalApi(tls: tls with { Validation = new BackendTlsValidation { Hostname = "api.example.test", WellKnownCaCertificates = "example.com/roots" } }),
            _ => ExternalApi(tls: tls),
        };
        Route route = what == "tlsroute"
            ? Tls(Mesh, "r", Parent("echo", port: 443), ["api.example.test"], ToXBackend("api"))
            : Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api")));
        var model = Build([backend], [Ca("example-ca")], route);

        var compiled = what == "tlsroute" ? model.Policy("echo", 443).L4Rules.Single().Backends.Single() : model.Policy("echo").Rules.Single().Backends.Single();
        Assert.Equal(RouteConditions.UnsupportedValue, compiled.Invalid);
        Assert.Contains(words, model.StatusOf("r").Cond("ResolvedRefs").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grant_naming_another_XBackend_does_not_cover_this_one()
    {
        var elsewhere = ExternalApi() with { Metadata = Meta("egress", "api") };
        var grant = Grant(toName: "other");
        var model = MeshModel.Build(Base(Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api", ns: "egress")))) with { XBackends = [elsewhere], ReferenceGrants = [grant] });

        Assert.Equal(RouteConditions.RefNotPermitted, model.Policy("echo").Rules.Single().Backends.Single().Invalid);
    }

    [Fact]
    public void A_CA_ConfigMap_edit_and_a_grant_removed_are_seen_by_a_model_updated_from_the_last()
    {
        var route = Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api", ns: "egress")));
        var elsewhere = ExternalApi(tls: Validated("api.example.test", "example-ca")) with { Metadata = Meta("egress", "api") };
        var grant = Grant();
        var egressCa = Ca("example-ca") with { Metadata = Meta("egress", "example-ca") };
        var snapshot = Base(route) with { XBackends = [elsewhere], ReferenceGrants = [grant], ConfigMaps = [egressCa] };
        var first = MeshModel.Build(snapshot);
        Assert.Null(first.Policy("echo").Rules.Single().Backends.Single().Invalid);

        var emptied = first.Update(snapshot with { ConfigMaps = [egressCa with { Data = new Dictionary<string, string>() }] });
        Assert.Equal(RouteConditions.InvalidCaCertificateRef, emptied.Policy("echo").Rules.Single().Backends.Single().Invalid);

        var revoked = first.Update(snapshot with { ReferenceGrants = [] });
        Assert.Equal(RouteConditions.RefNotPermitted, revoked.Policy("echo").Rules.Single().Backends.Single().Invalid);
    }

    [Fact]
    public void Consumer_route_override_applies_to_its_namespace_only()
    {
        // Destination override: a consumer route in the client's namespace sends echo to the external host; the
        // producer's namespace still reaches echo's own endpoints (gamma-spec B2/B3).
        var model = Build([ExternalApi() with { Metadata = Meta(Consumer, "api") }], [], Http(Consumer, "override", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/"), ToXBackend("api"))));

        Assert.Equal("api.example.test", model.Policy("echo.gateway-conformance-mesh", client: Consumer).Rules.Single().Backends.Single().External!.Hostname);
        var own = model.Policy("echo", client: Mesh);
        Assert.Empty(own.Rules);
        Assert.NotEmpty(own.DefaultBackend!.Endpoints);
    }

    [Fact]
    public void Explain_names_the_external_host_its_TLS_and_roots()
    {
        var model = Build([ExternalApi(tls: Validated("api.example.test", "example-ca"))], [Ca("example-ca")], Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api"))));

        var text = MeshModel.Describe(model.Policy("echo").Rules.Single().Backends.Single().External!);
        Assert.Equal($"api.example.test:8443 (XBackend {Mesh}/api) over TLS, SNI api.example.test, validated against ConfigMap {Mesh}/example-ca for the name api.example.test; addresses resolved by the sidecar at request time", text);
    }

    [Fact]
    public void An_XBackend_edit_is_seen_by_a_model_updated_from_the_last()
    {
        var route = Http(Mesh, "r", Echo80, Rule(Prefix("/"), ToXBackend("api")));
        var snapshot = Base(route);
        var first = MeshModel.Build(snapshot with { XBackends = [ExternalApi(port: 80)] });
        Assert.Equal(80, first.Policy("echo").Rules.Single().Backends.Single().External!.Port);

        // The same Services, slices, pods and route instances: only the XBackend changed.
        var second = first.Update(snapshot with { XBackends = [ExternalApi(port: 8080)] });
        Assert.Equal(8080, second.Policy("echo").Rules.Single().Backends.Single().External!.Port);
    }

    private static MeshModel Build(XBackend[] backends, ConfigMap[] maps, params Route[] routes) =>
        MeshModel.Build(Base(routes) with { XBackends = backends, ConfigMaps = maps });

    private static HeaderList Headers(params (string Name, string Value)[] values) => new(values.Select(v => KeyValuePair.Create(v.Name, v.Value)));

    /// <summary>A ReferenceGrant in egress letting <paramref name="fromKind"/>s of the mesh namespace refer to XBackends (one, with <paramref name="toName"/>).</summary>
    private static ReferenceGrant Grant(string fromKind = "HTTPRoute", string? toName = null) => new()
    {
        ApiVersion = "gateway.networking.k8s.io/v1beta1",
        Metadata = Meta("egress", "let-mesh"),
        From = [new ReferenceGrantFrom { Group = GatewayApi.Group, Kind = fromKind, Namespace = Mesh }],
        To = [new ReferenceGrantTo { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Name = toName }],
    };
}
