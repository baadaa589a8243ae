using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Routing.Tests;

/// <summary>The L4 rule picker: TLSRoute by SNI (exact beats wildcard), TCPRoute weights, invalid shares rejected (F4).</summary>
public sealed class ConnectionPlannerTests
{
    private static BackendPolicy Backend(string name, int weight = 1, string? invalid = null, bool endpoints = true) => new()
    {
        Namespace = "ns",
        Name = name,
        Port = 9000,
        Weight = weight,
        Invalid = invalid,
        AppProtocol = "tcp",
        Endpoints = endpoints ? [new EndpointPolicy { Address = "127.0.0.1", Port = 9000 }] : [],
    };

    private static L4RulePolicy Rule(string route, string[] hostnames, params BackendPolicy[] backends) => new()
    {
        Origin = new RuleOrigin { RouteKind = hostnames.Length > 0 ? "TLSRoute" : "TCPRoute", RouteNamespace = "ns", RouteName = route, RuleIndex = 0, MatchIndex = 0 },
        Hostnames = hostnames,
        Backends = backends,
    };

    private static DestinationPolicy Policy(string protocol, params L4RulePolicy[] rules) => new()
    {
        ClientNamespace = "ns",
        ServiceNamespace = "ns",
        ServiceName = "front",
        Port = 9000,
        Protocol = protocol,
        View = PolicyView.Producer,
        L4Rules = rules,
    };

    [Fact]
    public void Exact_hostname_beats_a_wildcard_whatever_the_order()
    {
        var wildcard = Rule("wild", ["*.example.com"], Backend("w"));
        var exact = Rule("exact", ["a.example.com"], Backend("e"));
        Assert.Same(exact, ConnectionPlanner.MatchServerName([wildcard, exact], "a.example.com"));
        Assert.Same(exact, ConnectionPlanner.MatchServerName([exact, wildcard], "a.example.com"));
        Assert.Same(wildcard, ConnectionPlanner.MatchServerName([exact, wildcard], "b.example.com"));
    }

    [Fact]
    public void The_longest_wildcard_wins_and_a_wildcard_needs_a_label_of_its_own()
    {
        var shortWild = Rule("short", ["*.example.com"], Backend("s"));
        var longWild = Rule("long", ["*.b.example.com"], Backend("l"));
        Assert.Same(longWild, ConnectionPlanner.MatchServerName([shortWild, longWild], "x.b.example.com"));
        Assert.Null(ConnectionPlanner.MatchServerName([shortWild], "example.com"));
        Assert.Null(ConnectionPlanner.MatchServerName([shortWild], ".example.com"));
        Assert.Null(ConnectionPlanner.MatchServerName([shortWild], null));
    }

    [Fact]
    public void A_TLS_connection_without_a_matching_SNI_is_rejected()
    {
        var plan = ConnectionPlanner.Plan(Policy(PolicyProtocol.Tls, Rule("a", ["a.example.com"], Backend("a"))), "z.example.org", 0.5);
        var (backend, rejected) = (plan.Backend, plan.Rejected);
        Assert.Null(backend);
        Assert.Contains("z.example.org", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public void TCPRoute_weights_split_the_unit_interval()
    {
        var policy = Policy(PolicyProtocol.Tcp, Rule("t", [], Backend("v1", 70), Backend("v2", 30)));
        Assert.Equal("v1", ConnectionPlanner.Plan(policy, null, 0.0).Backend!.Name);
        Assert.Equal("v1", ConnectionPlanner.Plan(policy, null, 0.69).Backend!.Name);
        Assert.Equal("v2", ConnectionPlanner.Plan(policy, null, 0.71).Backend!.Name);
        Assert.Equal("v2", ConnectionPlanner.Plan(policy, null, 0.999).Backend!.Name);
    }

    [Fact]
    public void An_invalid_backend_keeps_its_share_and_the_connections_that_land_on_it_are_rejected()
    {
        var policy = Policy(PolicyProtocol.Tcp, Rule("t", [], Backend("ok", 1), Backend("missing", 1, invalid: "BackendNotFound")));
        Assert.Equal("ok", ConnectionPlanner.Plan(policy, null, 0.25).Backend!.Name);
        var plan = ConnectionPlanner.Plan(policy, null, 0.75);
        var (backend, rejected) = (plan.Backend, plan.Rejected);
        Assert.Null(backend);
        Assert.Contains("invalid (BackendNotFound)", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public void All_zero_weights_and_no_endpoints_are_rejected()
    {
        Assert.Null(ConnectionPlanner.Plan(Policy(PolicyProtocol.Tcp, Rule("t", [], Backend("z", 0))), null, 0.5).Backend);
        var plan = ConnectionPlanner.Plan(Policy(PolicyProtocol.Tcp, Rule("t", [], Backend("empty", endpoints: false))), null, 0.5);
        var (backend, rejected) = (plan.Backend, plan.Rejected);
        Assert.Null(backend);
        Assert.Contains("no ready endpoints", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_L4_rules_the_default_backend_is_used_at_every_protocol()
    {
        foreach (var protocol in new[] { PolicyProtocol.Tcp, PolicyProtocol.Opaque, PolicyProtocol.Http })
        {
            var policy = Policy(protocol) with { DefaultBackend = Backend("svc") };
            Assert.Equal("svc", ConnectionPlanner.Plan(policy, null, 0.5).Backend!.Name);
        }

        Assert.NotNull(ConnectionPlanner.Plan(Policy(PolicyProtocol.Tcp), null, 0.5).Rejected);
    }
}
