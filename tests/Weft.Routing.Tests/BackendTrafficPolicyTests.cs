using Weft.Api.Model;
using static Weft.Routing.Tests.BackendObjects;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>GEP-3388 XBackendTrafficPolicy: the retry budget of the Services and XBackends a policy targets.</summary>
public class BackendTrafficPolicyTests
{
    private static readonly ParentReference Echo80 = Parent("echo", port: 80);

    [Fact]
    public void A_policy_on_a_Service_gives_its_backends_its_retry_budget()
    {
        var model = Build([TrafficPolicy("budget", "echo-v1", minute: 1, percent: 5, interval: "1m", count: 1, per: "1h")], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        var budget = model.Policy("echo").Rules.Single().Backends.Single().RetryBudget!;
        Assert.Equal((5, TimeSpan.FromMinutes(1), 1, TimeSpan.FromHours(1), $"XBackendTrafficPolicy {Mesh}/budget"),
            (budget.Percent, budget.Interval, budget.MinRetryCount, budget.MinRetryInterval, budget.Source));
        Assert.Equal(5, model.Policy("echo-v1").DefaultBackend!.RetryBudget!.Percent); // and its own C1 backend
        Assert.Null(model.Policy("echo-v2").DefaultBackend!.RetryBudget);
    }

    [Fact]
    public void A_policy_on_an_XBackend_gives_the_external_backend_its_retry_budget()
    {
        var api = new XBackend
        {
            ApiVersion = "gateway.networking.x-k8s.io/v1alpha1",
            Metadata = Meta(Mesh, "api"),
            Spec = new XBackendSpec { Type = XBackendType.ExternalHostname, ExternalHostname = "api.example.test", Port = new XBackendPort { Port = 80 } },
        };
        var policy = TrafficPolicy("budget", "api", minute: 1, percent: 5) with
        {
            Spec = TrafficPolicy("budget", "api", minute: 1, percent: 5).Spec with
            {
                TargetRefs = [new PolicyTargetReference { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Name = "api" }],
            },
        };
        var route = Http(Mesh, "r", Echo80, Rule(Prefix("/"), new BackendRef { Group = GatewayApi.ExperimentalGroup, Kind = XBackend.KindName, Name = "api" }));
        var model = MeshModel.Build(Base(route) with { XBackends = [api], BackendTrafficPolicies = [policy] });

        Assert.Equal(5, model.Policy("echo").Rules.Single().Backends.Single().RetryBudget!.Percent);
    }

    [Fact]
    public void Of_two_policies_on_one_backend_the_older_wins()
    {
        var model = Build([TrafficPolicy("newer", "echo-v1", minute: 2, percent: 50), TrafficPolicy("older", "echo-v1", minute: 1, percent: 10)],
            Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Equal(10, model.Policy("echo").Rules.Single().Backends.Single().RetryBudget!.Percent);
    }

    [Fact]
    public void A_policy_reaches_only_backends_of_its_own_namespace()
    {
        var elsewhere = TrafficPolicy("budget", "echo-v1", minute: 1) with { Metadata = Meta(Consumer, "budget") };
        var model = Build([elsewhere], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Null(model.Policy("echo").Rules.Single().Backends.Single().RetryBudget);
    }

    [Fact]
    public void A_policy_without_a_retry_constraint_gives_no_budget()
    {
        var model = Build([TrafficPolicy("budget", "echo-v1", minute: 1) with { Spec = new XBackendTrafficPolicySpec { TargetRefs = TrafficPolicy("b", "echo-v1", 1).Spec.TargetRefs } }],
            Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        Assert.Null(model.Policy("echo").Rules.Single().Backends.Single().RetryBudget);
    }

    [Theory]
    [InlineData(null, null, null, "Cookie", "weft-gateway-conformance-mesh-echo-v1", false)]
    [InlineData("Header", "x-session", null, "Header", "x-session", false)]
    [InlineData("Cookie", "shop", "Permanent", "Cookie", "shop", true)]
    public void Session_persistence_comes_with_a_name_and_a_lifetime(string? type, string? name, string? lifetime, string expectedType, string expectedName, bool permanent)
    {
        var sticky = TrafficPolicy("sticky", "echo-v1", minute: 1) with
        {
            Spec = TrafficPolicy("sticky", "echo-v1", minute: 1).Spec with
            {
                RetryConstraint = null,
                SessionPersistence = new BackendSessionPersistence { Type = type ?? "Cookie", SessionName = name, CookieLifetimeType = lifetime, AbsoluteTimeout = "1h" },
            },
        };
        var model = Build([sticky], Http(Mesh, "r", Echo80, Rule(Prefix("/"), Backend("echo-v1", 80))));

        var backend = model.Policy("echo").Rules.Single().Backends.Single();
        Assert.Null(backend.RetryBudget);
        var session = backend.SessionPersistence!;
        Assert.Equal((expectedType, expectedName, TimeSpan.FromHours(1), permanent), (session.Type, session.Name, session.AbsoluteTimeout!.Value, session.Permanent));
    }

    private static MeshModel Build(XBackendTrafficPolicy[] policies, params Route[] routes) =>
        MeshModel.Build(Base(routes) with { BackendTrafficPolicies = policies });
}
