using Weft.Api.Model;
using static Weft.Routing.Tests.BackendObjects;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>GEP-1897 BackendTLSPolicy in the mesh: TLS the client's proxy originates to the endpoints of a Service port.</summary>
public class BackendTlsPolicyTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    [Fact]
    public void A_policy_on_a_Service_makes_its_route_backend_originate_TLS_to_its_endpoints()
    {
        var model = Build([TlsPolicy("v1-tls", "echo-v1", minute: 1)], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        var backend = model.Policy("echo").Rules.Single().Backends.Single();
        Assert.Null(backend.Invalid);
        Assert.NotEmpty(backend.Endpoints);
        Assert.Equal(("echo-v1.example.test", $"BackendTLSPolicy {Mesh}/v1-tls", $"ConfigMap {Mesh}/ca"), (backend.Tls!.ServerName, backend.Tls.Source, backend.Tls.Roots));
        Assert.Equal([CaPem], backend.Tls.CaCertificatesPem);
        Assert.Equal("True", model.StatusOf("r").Cond("ResolvedRefs").Status);
    }

    [Fact]
    public void Of_two_policies_on_one_Service_the_older_wins_then_the_first_by_name()
    {
        var model = Build([TlsPolicy("b-newer", "echo-v1", minute: 2), TlsPolicy("z-older", "echo-v1", minute: 1)], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));
        Assert.Equal($"BackendTLSPolicy {Mesh}/z-older", model.Policy("echo").Rules.Single().Backends.Single().Tls!.Source);

        var tie = Build([TlsPolicy("b", "echo-v1", minute: 1), TlsPolicy("a", "echo-v1", minute: 1)], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));
        Assert.Equal($"BackendTLSPolicy {Mesh}/a", tie.Policy("echo").Rules.Single().Backends.Single().Tls!.Source);
    }

    [Fact]
    public void A_policy_naming_a_port_wins_for_that_port_and_only_that_port()
    {
        var model = Build([TlsPolicy("whole", "echo-v1", minute: 1), TlsPolicy("http-only", "echo-v1", minute: 2, section: "http")],
            Http(Mesh, "r", Echo80, Rule(Prefix("/a"), Backend("echo-v1", 80)), Rule(Prefix("/b"), Backend("echo-v1", 8080))));

        var rules = model.Policy("echo").Rules;
        Assert.Equal($"BackendTLSPolicy {Mesh}/http-only", rules.Single(r => r.Match.PathValue == "/a").Backends.Single().Tls!.Source);
        Assert.Equal($"BackendTLSPolicy {Mesh}/whole", rules.Single(r => r.Match.PathValue == "/b").Backends.Single().Tls!.Source);
    }

    [Fact]
    public void A_missing_CA_ConfigMap_fails_the_backends_share_but_not_the_routes_conditions()
    {
        var model = Build([TlsPolicy("v1-tls", "echo-v1", minute: 1, configMap: "nowhere")], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Equal(RouteConditions.InvalidCaCertificateRef, model.Policy("echo").Rules.Single().Backends.Single().Invalid);
        Assert.Equal("True", model.StatusOf("r").Cond("ResolvedRefs").Status);
    }

    [Fact]
    public void A_TLS_port_takes_an_HTTPRoute_once_a_policy_originates_TLS_to_it()
    {
        var tlsPort = Base() with
        {
            Services = [.. Base().Services.Where(s => s.Name != "echo-v1"), Svc(Mesh, "echo-v1", "10.96.0.11", Port(8443, "https", 8443, app: "https"))],
        };
        var route = Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 8443)));

        var without = MeshModel.Build(tlsPort with { Routes = [route], ConfigMaps = [Ca()] });
        Assert.Equal(RouteConditions.UnsupportedProtocol, without.Policy("echo").Rules.Single().Backends.Single().Invalid);
        Assert.Contains("no BackendTLSPolicy", without.StatusOf("r").Cond("ResolvedRefs").Message, StringComparison.Ordinal);

        var with = MeshModel.Build(tlsPort with { Routes = [route], ConfigMaps = [Ca()], BackendTlsPolicies = [TlsPolicy("v1-tls", "echo-v1", minute: 1)] });
        var backend = with.Policy("echo").Rules.Single().Backends.Single();
        Assert.Null(backend.Invalid);
        Assert.Equal("http", backend.AppProtocol);
    }

    [Fact]
    public void Without_routes_the_Services_own_backend_carries_the_policy()
    {
        var model = Build([TlsPolicy("v1-tls", "echo-v1", minute: 1)]);

        Assert.Equal($"BackendTLSPolicy {Mesh}/v1-tls", model.Policy("echo-v1").DefaultBackend!.Tls!.Source);
        Assert.Null(model.Policy("echo-v2").DefaultBackend!.Tls);
    }

    [Fact]
    public void A_TLSRoute_passes_the_clients_TLS_through_and_originates_none()
    {
        var model = Build([TlsPolicy("v1-tls", "echo-v1", minute: 1)], Tls(Mesh, "t", Parent("echo", port: 443), ["a.example.test"], Backend("echo-v1", 443)));

        Assert.Null(model.Policy("echo", 443).L4Rules.Single().Backends.Single().Tls);
    }

    [Fact]
    public void A_policy_added_is_seen_by_a_model_updated_from_the_last()
    {
        var snapshot = Base(Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80)))) with { ConfigMaps = [Ca()] };
        var first = MeshModel.Build(snapshot);
        Assert.Null(first.Policy("echo").Rules.Single().Backends.Single().Tls);

        var second = first.Update(snapshot with { BackendTlsPolicies = [TlsPolicy("v1-tls", "echo-v1", minute: 1)] });
        Assert.NotNull(second.Policy("echo").Rules.Single().Backends.Single().Tls);
    }

    private static MeshModel Build(BackendTlsPolicy[] policies, params Route[] routes) =>
        MeshModel.Build(Base(routes) with { BackendTlsPolicies = policies, ConfigMaps = [Ca()] });
}
