using Weft.Api.Model;
using Weft.Routing.Authorization;
using static Weft.Routing.Tests.Authorization.Authz;
using V = Weft.Routing.Authorization.AuthorizationVerdict;

namespace Weft.Routing.Tests.Authorization;

/// <summary>
/// Issue 14's evaluation, one row per rule of the decision: the defaults, DENY before ALLOW, each rule condition, L4
/// connections against L7 rules, Service and route scopes, and plaintext callers. Each row compiles the shop world with
/// its policies (<see cref="MeshModel.CompileInbound"/>) and decides with <see cref="AuthorizationPlanner"/>.
/// </summary>
public class AuthorizationDecisionTableTests
{
    private const string Cart = "shop/cart-1";
    private static readonly string Client = Id(Shop, "client");
    private static readonly string Probe = Id(Ops, "probe");
    private static readonly AuthorizationTargetReference CartPods = Pods(("app", "cart"));

    private static readonly Case[] All =
    [
        // The four defaults, when no ALLOW policy applies.
        new("default all-unauthenticated admits a plaintext caller", DefaultInboundPolicies.AllUnauthenticated, [], Http(null, "GET", "/"), V.AllowedByDefault),
        new("default all-authenticated admits a mesh identity", DefaultInboundPolicies.AllAuthenticated, [], Http(Probe, "GET", "/"), V.AllowedByDefault),
        new("default all-authenticated refuses a plaintext caller", DefaultInboundPolicies.AllAuthenticated, [], Http(null, "GET", "/"), V.DeniedByDefault),
        new("default all-authenticated refuses another trust domain", DefaultInboundPolicies.AllAuthenticated, [], Http(Id(Shop, "client", "evil.org"), "GET", "/"), V.DeniedByDefault),
        new("default same-namespace admits the workload's namespace", DefaultInboundPolicies.SameNamespace, [], Http(Client, "GET", "/"), V.AllowedByDefault),
        new("default same-namespace refuses another namespace", DefaultInboundPolicies.SameNamespace, [], Http(Probe, "GET", "/"), V.DeniedByDefault),
        new("default same-namespace refuses a plaintext caller", DefaultInboundPolicies.SameNamespace, [], Tcp(null), V.DeniedByDefault),
        new("default same-namespace refuses a longer path under the namespace", DefaultInboundPolicies.SameNamespace, [], Http($"{Client}/x", "GET", "/"), V.DeniedByDefault),
        new("default deny refuses even the workload's namespace", DefaultInboundPolicies.Deny, [], Http(Client, "GET", "/"), V.DeniedByDefault),

        // ALLOW and DENY.
        new("an ALLOW rule naming the caller's service account allows", DefaultInboundPolicies.Deny,
            [Allow("allow-client", CartPods, Rule([Sa(Shop, "client")]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/allow-client", 0),
        new("an ALLOW policy makes the workload default-deny for other callers", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("allow-client", CartPods, Rule([Sa(Shop, "client")]))], Http(Probe, "GET", "/"), V.NotAllowedByPolicy),
        new("service account * matches every service account of its namespace", DefaultInboundPolicies.Deny,
            [Allow("ops", CartPods, Rule([Sa(Ops, "*")]))], Http(Probe, "GET", "/"), V.AllowedByPolicy, "shop/ops", 0),
        new("service account * does not match another namespace", DefaultInboundPolicies.Deny,
            [Allow("ops", CartPods, Rule([Sa(Ops, "*")]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy),
        new("a SPIFFE source matches exactly", DefaultInboundPolicies.Deny,
            [Allow("probe", CartPods, Rule([Spiffe(Probe)]))], Http(Probe, "GET", "/"), V.AllowedByPolicy, "shop/probe", 0),
        new("a SPIFFE source does not match a longer ID", DefaultInboundPolicies.Deny,
            [Allow("probe", CartPods, Rule([Spiffe(Probe)]))], Http(Probe + "2", "GET", "/"), V.NotAllowedByPolicy),
        new("sources omitted admit a plaintext caller", DefaultInboundPolicies.Deny,
            [Allow("any", CartPods, Rule(ports: [8080]))], Http(null, "GET", "/"), V.AllowedByPolicy, "shop/any", 0),
        new("sources [] admit nobody", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("none", CartPods, Rule([]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy),
        new("an ALLOW policy without rules allows nothing", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("empty", CartPods)], Http(Client, "GET", "/"), V.NotAllowedByPolicy),
        new("a DENY policy without rules denies nothing", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("empty", CartPods)], Http(Client, "GET", "/"), V.AllowedByDefault),
        new("DENY is evaluated before ALLOW", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("a-allow", CartPods, Rule([Sa(Shop, "client")])), Deny("z-deny", CartPods, Rule([Sa(Shop, "client")]))], Http(Client, "GET", "/"), V.DeniedByPolicy, "shop/z-deny", 0),
        new("a DENY rule that does not match leaves the ALLOW policies to decide", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("allow", CartPods, Rule([Sa(Shop, "client")])), Deny("deny", CartPods, Rule([Sa(Ops, "*")]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/allow", 0),
        new("rules are OR'ed: the first matching rule decides", DefaultInboundPolicies.Deny,
            [Allow("two", CartPods, Rule([Sa(Ops, "*")]), Rule([Sa(Shop, "client")]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/two", 1),
        new("a plaintext caller matches no ALLOW source", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("allow", CartPods, Rule([Sa(Shop, "client")]))], Http(null, "GET", "/"), V.NotAllowedByPolicy),
        new("a plaintext caller matches no DENY source", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("deny", CartPods, Rule([Sa(Shop, "client")]))], Http(null, "GET", "/"), V.AllowedByDefault),

        // Ports, methods, paths, headers, gRPC.
        new("ports: the pod port the request was sent to", DefaultInboundPolicies.Deny,
            [Allow("p", CartPods, Rule(ports: [8080]))], Http(Client, "GET", "/", port: 8080), V.AllowedByPolicy, "shop/p", 0),
        new("ports: another pod port does not match", DefaultInboundPolicies.Deny,
            [Allow("p", CartPods, Rule(ports: [8080]))], Http(Client, "GET", "/", port: 9090), V.NotAllowedByPolicy),
        new("methods: exact", DefaultInboundPolicies.Deny,
            [Allow("m", CartPods, Rule(methods: ["POST"]))], Http(Client, "POST", "/"), V.AllowedByPolicy, "shop/m", 0),
        new("methods: another method does not match", DefaultInboundPolicies.Deny,
            [Allow("m", CartPods, Rule(methods: ["POST"]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy),
        new("methods: case-insensitive, as apps read them", DefaultInboundPolicies.Deny,
            [Allow("m", CartPods, Rule(methods: ["POST"]))], Http(Client, "post", "/"), V.AllowedByPolicy, "shop/m", 0),
        new("methods: a DENY for POST denies post", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("m", CartPods, Rule(methods: ["POST"]))], Http(Client, "post", "/"), V.DeniedByPolicy, "shop/m", 0),
        new("paths: a DENY PathPrefix catches doubled slashes", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("p", CartPods, Rule(paths: [Path(PathMatchType.PathPrefix, "/orders")]))], Http(Client, "GET", "//orders//x"), V.DeniedByPolicy, "shop/p", 0),
        new("paths: a DENY PathPrefix catches an encoded slash and backslash", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("p", CartPods, Rule(paths: [Path(PathMatchType.PathPrefix, "/orders/x")]))], Http(Client, "GET", "/orders%2fx%5Cy"), V.DeniedByPolicy, "shop/p", 0),
        new("paths: a DENY PathPrefix catches dot segments after decoding", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("p", CartPods, Rule(paths: [Path(PathMatchType.PathPrefix, "/orders")]))], Http(Client, "GET", "/public%2F..%2Forders"), V.DeniedByPolicy, "shop/p", 0),
        new("paths: a decoded '?' is part of the path, not a query", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.Exact, "/public")]))], new AuthorizationRequest(Client, 8080, "GET", "/public?/x"), V.NotAllowedByPolicy),
        new("paths: Exact matches the path", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.Exact, "/orders")]))], Http(Client, "GET", "/orders"), V.AllowedByPolicy, "shop/x", 0),
        new("paths: Exact does not match a longer path", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.Exact, "/orders")]))], Http(Client, "GET", "/orders/1"), V.NotAllowedByPolicy),
        new("paths: Exact ignores the query", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.Exact, "/orders")]))], Http(Client, "GET", "/orders?id=1"), V.AllowedByPolicy, "shop/x", 0),
        new("paths: PathPrefix matches element-wise (E3)", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.PathPrefix, "/orders/")]))], Http(Client, "GET", "/orders/1"), V.AllowedByPolicy, "shop/x", 0),
        new("paths: PathPrefix does not match a longer segment (E3)", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.PathPrefix, "/orders")]))], Http(Client, "GET", "/ordersX"), V.NotAllowedByPolicy),
        new("paths: RegularExpression is anchored", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.RegularExpression, "/orders/[0-9]+")]))], Http(Client, "GET", "/orders/12"), V.AllowedByPolicy, "shop/x", 0),
        new("paths: RegularExpression does not match a partial path", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.RegularExpression, "/orders/[0-9]+")]))], Http(Client, "GET", "/orders/12/x"), V.NotAllowedByPolicy),
        new("paths: any of the list", DefaultInboundPolicies.Deny,
            [Allow("x", CartPods, Rule(paths: [Path(PathMatchType.Exact, "/a"), Path(PathMatchType.Exact, "/b")]))], Http(Client, "GET", "/b"), V.AllowedByPolicy, "shop/x", 0),
        new("headers: Exact value, name case-insensitive", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue")]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/h", 0, [("X-Tenant", "blue")]),
        new("headers: a DENY matches one of a repeated header's values", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("h", CartPods, Rule(headers: [Header("x-tenant", "red")]))], Http(Client, "GET", "/"), V.DeniedByPolicy, "shop/h", 0, [("x-tenant", "blue, red")]),
        new("headers: an ALLOW needs the whole (comma-joined) value", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue")]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy, Headers: [("x-tenant", "blue, red")]),
        new("headers: another value does not match", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue")]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy, Headers: [("x-tenant", "green")]),
        new("headers: a missing header does not match", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue")]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy),
        new("headers: every listed header must match, as in an HTTPRoute match", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue"), Header("x-team", "red")]))], Http(Client, "GET", "/"), V.NotAllowedByPolicy, Headers: [("x-tenant", "blue")]),
        new("headers: all listed headers present and matching", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "blue"), Header("x-team", "red")]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/h", 0, [("x-tenant", "blue"), ("x-team", "red")]),
        new("headers: RegularExpression", DefaultInboundPolicies.Deny,
            [Allow("h", CartPods, Rule(headers: [Header("x-tenant", "bl.e", HeaderMatchType.RegularExpression)]))], Http(Client, "GET", "/"), V.AllowedByPolicy, "shop/h", 0, [("x-tenant", "blue")]),
        new("grpc: service and method from the path", DefaultInboundPolicies.Deny,
            [Allow("g", CartPods, Rule(grpcService: "shop.Cart", grpcMethod: "Checkout"))], Grpc(Client, "/shop.Cart/Checkout"), V.AllowedByPolicy, "shop/g", 0),
        new("grpc: another method does not match", DefaultInboundPolicies.Deny,
            [Allow("g", CartPods, Rule(grpcService: "shop.Cart", grpcMethod: "Checkout"))], Grpc(Client, "/shop.Cart/Refund"), V.NotAllowedByPolicy),
        new("grpc: service only matches every method", DefaultInboundPolicies.Deny,
            [Allow("g", CartPods, Rule(grpcService: "shop.Cart"))], Grpc(Client, "/shop.Cart/Refund"), V.AllowedByPolicy, "shop/g", 0),
        new("grpc: a plain HTTP request to the same path is not a gRPC call", DefaultInboundPolicies.Deny,
            [Allow("g", CartPods, Rule(grpcService: "shop.Cart"))], Http(Client, "POST", "/shop.Cart/Checkout"), V.NotAllowedByPolicy),

        // L4 connections against L7 rules.
        new("L4: an ALLOW rule with HTTP conditions never matches a connection", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("l7", CartPods, Rule([Sa(Shop, "client")], methods: ["GET"]))], Tcp(Client), V.NotAllowedByPolicy),
        new("L4: an ALLOW rule without HTTP conditions matches a connection", DefaultInboundPolicies.Deny,
            [Allow("l4", CartPods, Rule([Sa(Shop, "client")], ports: [8080]))], Tcp(Client), V.AllowedByPolicy, "shop/l4", 0),
        new("L4: a DENY rule with HTTP conditions matches a connection on its other conditions (fail safe)", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("l7", CartPods, Rule([Sa(Shop, "client")], paths: [Path(PathMatchType.PathPrefix, "/admin")]))], Tcp(Client), V.DeniedByPolicy, "shop/l7", 0),
        new("L4: a DENY rule with gRPC conditions still needs its source", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("l7", CartPods, Rule([Sa(Ops, "*")], grpcService: "shop.Cart"))], Tcp(Client), V.AllowedByDefault),

        // Scopes.
        new("Service scope: a request to a target port of the Service is in scope", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("svc", ServiceTarget("cart"), Rule([Sa(Ops, "*")]))], Http(Client, "GET", "/", port: 8080), V.NotAllowedByPolicy),
        new("Service scope: once an ALLOW targets the workload, another port needs an allowing rule too", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("svc", ServiceTarget("cart"), Rule([Sa(Ops, "*")]))], Http(Client, "GET", "/", port: 7000), V.NotAllowedByPolicy),
        new("Service scope: a scoped ALLOW rule does not allow outside its scope", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("svc", ServiceTarget("cart"), Rule([Sa(Shop, "client")]))], Http(Client, "GET", "/", port: 7000), V.NotAllowedByPolicy),
        new("route scope: a request matching the rule is in scope", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "client")], methods: ["POST"]))], Http(Client, "POST", "/orders/1"), V.AllowedByPolicy, "shop/orders", 0),
        new("route scope: a request in scope and not allowed", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "client")], methods: ["POST"]))], Http(Client, "GET", "/orders/1"), V.NotAllowedByPolicy),
        new("route scope: a request on another rule is not allowed by the rule's ALLOW", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "client")], methods: ["POST"]))], Http(Client, "GET", "/admin"), V.NotAllowedByPolicy),
        new("route scope: a DENY on a route rule does not deny another rule's requests", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "client")]))], Http(Client, "GET", "/admin"), V.AllowedByDefault),
        new("route scope: without sectionName every rule is in scope", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("route", RouteTarget("HTTPRoute", "cart-route"), Rule([Sa(Ops, "*")]))], Http(Client, "GET", "/admin"), V.NotAllowedByPolicy),
        new("route scope: an ALLOW on a route leaves an L4 connection to its port needing an allowing rule", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("route", RouteTarget("HTTPRoute", "cart-route"), Rule([Sa(Ops, "*")]))], Tcp(Client), V.NotAllowedByPolicy),
        new("route scope: a DENY on a route rule applies to an L4 connection to its port", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "client")], methods: ["POST"]))], Tcp(Client), V.DeniedByPolicy, "shop/orders", 0),
        new("route scope: a DENY scoped to a route rule denies only there", DefaultInboundPolicies.AllUnauthenticated,
            [Deny("admin", RouteTarget("HTTPRoute", "cart-route", "admin"))
                with { Spec = new AuthorizationPolicySpec { Action = AuthorizationAction.Deny, TargetRefs = [RouteTarget("HTTPRoute", "cart-route", "admin")], Rules = [Rule()] } }],
            Http(Client, "GET", "/admin/x"), V.DeniedByPolicy, "shop/admin", 0),
        new("GRPCRoute scope: a call to the rule's method is in scope", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("checkout", RouteTarget("GRPCRoute", "cart-grpc", "checkout"), Rule([Sa(Ops, "*")]))], Grpc(Client, "/shop.Cart/Checkout"), V.NotAllowedByPolicy),
        new("GRPCRoute scope: another method is not allowed by the method's ALLOW", DefaultInboundPolicies.AllUnauthenticated,
            [Allow("checkout", RouteTarget("GRPCRoute", "cart-grpc", "checkout"), Rule([Sa(Ops, "*")]))], Grpc(Client, "/shop.Cart/Refund"), V.NotAllowedByPolicy),

        // The namespace-isolation example: default deny with one exception.
        new("deny default with an ALLOW exception admits the exception", DefaultInboundPolicies.Deny,
            [Allow("probe", Pods(), Rule([Sa(Ops, "probe")], ports: [8080]))], Http(Probe, "GET", "/healthz"), V.AllowedByPolicy, "shop/probe", 0),
        new("deny default with an ALLOW exception refuses the rest", DefaultInboundPolicies.Deny,
            [Allow("probe", Pods(), Rule([Sa(Ops, "probe")], ports: [8080]))], Http(Client, "GET", "/healthz"), V.NotAllowedByPolicy),
    ];

    public static TheoryData<string> Names => [.. All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Decision_table(string name)
    {
        var c = All.Single(x => x.Name == name);
        var model = MeshModel.Build(World(c.Policies), defaultInboundPolicy: c.Default);
        var decision = model.Decide(Cart, c.Request, c.Headers ?? []);
        Assert.Equal((c.Verdict, c.Policy, c.Rule), (decision.Verdict, decision.Policy, decision.Rule));
        Assert.Equal(c.Default, decision.DefaultPolicy);
        Assert.Equal(c.Verdict is V.AllowedByPolicy or V.AllowedByDefault, decision.Allowed);
    }

    /// <summary>
    /// An l4 workload's policy applies at L4 only (its L7RuleOnL4Workload status says so), for an l7 caller's HTTP request
    /// as for an l4 caller's tunnelled connection: a DENY rule with HTTP parts matches on its source, an ALLOW rule with
    /// them never matches. Shop's db-1 is at l4.
    /// </summary>
    [Theory]
    [InlineData("DENY", "GET", V.DeniedByPolicy)]
    [InlineData("DENY", null, V.DeniedByPolicy)]
    [InlineData("ALLOW", "GET", V.NotAllowedByPolicy)]
    [InlineData("ALLOW", null, V.NotAllowedByPolicy)]
    public void An_l4_workload_decides_an_HTTP_request_as_its_connection(string action, string? method, V verdict)
    {
        var rule = Rule([Sa(Shop, "client")], methods: [action == "DENY" ? "DELETE" : "GET"]);
        var policy = action == "DENY" ? Deny("db", Pods(("app", "db")), rule) : Allow("db", Pods(("app", "db")), rule);
        var model = MeshModel.Build(World(policy));

        var decision = model.Decide("shop/db-1", method is null ? Tcp(Client, 5432) : Http(Client, method, "/", 5432));

        Assert.Equal(verdict, decision.Verdict);
    }

    [Fact]
    public void Reasons_are_sentences_naming_the_policy_rule_or_default()
    {
        var deny = Deny("x", CartPods, Rule([Sa(Shop, "client")]));
        var allow = Allow("a", CartPods, Rule([Sa(Ops, "*")]));
        var allow2 = Allow("b", CartPods, Rule([Sa(Ops, "*")]));
        var model = MeshModel.Build(World(deny, allow, allow2));
        Assert.Equal("denied by DENY policy shop/x rule 0", model.Decide(Cart, Http(Client, "GET", "/")).Reason);
        Assert.Equal("allowed by ALLOW policy shop/a rule 0", model.Decide(Cart, Http(Probe, "GET", "/")).Reason);
        Assert.Equal("no ALLOW policy rule matched: ALLOW policies shop/a, shop/b target this workload", model.Decide(Cart, Http(Id(Shop, "web"), "GET", "/")).Reason);
        Assert.Equal("no ALLOW policy rule matched: ALLOW policy shop/a targets this workload",
            MeshModel.Build(World(allow)).Decide(Cart, Http(Client, "GET", "/")).Reason);

        var none = MeshModel.Build(World());
        Assert.StartsWith("allowed by default all-unauthenticated", none.Decide(Cart, Http(null, "GET", "/")).Reason, StringComparison.Ordinal);
        Assert.Equal("denied by default all-authenticated: the caller has no verified mesh identity (plaintext)",
            MeshModel.Build(World(), defaultInboundPolicy: DefaultInboundPolicies.AllAuthenticated).Decide(Cart, Http(null, "GET", "/")).Reason);
        Assert.Equal("denied by default same-namespace: the caller is not a service account of namespace shop",
            MeshModel.Build(World(), defaultInboundPolicy: DefaultInboundPolicies.SameNamespace).Decide(Cart, Http(Probe, "GET", "/")).Reason);
    }

    [Fact]
    public void Deciding_a_common_request_allocates_nothing()
    {
        var model = MeshModel.Build(World(
            Deny("deny", CartPods, Rule([Sa(Ops, "*")], paths: [Path(PathMatchType.PathPrefix, "/admin")])),
            Allow("allow", CartPods, Rule([Sa(Shop, "client")], methods: ["GET"], headers: [Header("x-tenant", "blue")])),
            Allow("orders", RouteTarget("HTTPRoute", "cart-route", "orders"), Rule([Sa(Shop, "web")]))));
        var table = AuthorizationTable.Build(model.CompileInbound(Shop, "cart-1")!);
        var headers = Headers(("x-tenant", "blue"));
        AuthorizationRequest[] requests =
        [
            Http(Client, "GET", "/orders/1?x=1"), Http(Probe, "GET", "/admin/x"), Http(Id(Shop, "web"), "POST", "/orders"),
            Http(null, "GET", "/"), Tcp(Client), Grpc(Client, "/shop.Cart/Checkout"),
        ];
        foreach (var r in requests)
        {
            _ = AuthorizationPlanner.Decide(table, r, headers);
        }

        Assert.Equal(0, Allocations.Fewest(
            () =>
            {
                foreach (var r in requests)
                {
                    _ = AuthorizationPlanner.Decide(table, r, headers);
                }
            },
            iterations: 100));
    }

    private sealed record Case(
        string Name,
        string Default,
        AuthorizationPolicy[] Policies,
        AuthorizationRequest Request,
        V Verdict,
        string? Policy = null,
        int? Rule = null,
        (string, string)[]? Headers = null);
}
