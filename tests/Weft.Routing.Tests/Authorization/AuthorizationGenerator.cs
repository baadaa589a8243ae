using Weft.Api.Model;
using Weft.Routing.Authorization;

namespace Weft.Routing.Tests.Authorization;

/// <summary>Random worlds, policies and callers for the property tests; everything comes from one seeded <see cref="Random"/>.</summary>
internal sealed class AuthorizationGenerator(int seed)
{
    public const string Alpha = "alpha";
    public const string Beta = "beta";
    public static readonly string[] Namespaces = [Alpha, Beta];
    public static readonly string[] Apps = ["a", "b", "c"];
    public static readonly string[] Accounts = ["s1", "s2", "admin"];
    public static readonly string[] Defaults = [.. DefaultInboundPolicies.All];
    private static readonly string[] Methods = ["GET", "POST", "post", "DELETE"];
    private static readonly string[] RequestPaths = ["/", "/orders", "/orders/", "/orders/1", "/orders/12", "/ordersX", "/admin", "/admin/x/y", "/shop.Cart/Checkout", "//orders/1", "/x/../admin", "/orders%2F1"];
    private static readonly string[] GrpcPaths = ["/shop.Cart/Checkout", "/shop.Cart/Refund", "/shop.Other/Checkout", "/bad"];
    private static readonly int[] Ports = [8080, 9090, 7000];

    public Random Random { get; } = new(seed);

    public int Seed { get; } = seed;

    private T Pick<T>(params T[] items) => items[Random.Next(items.Length)];

    private bool Chance(double p) => Random.NextDouble() < p;

    /// <summary>Each namespace: 2-4 pods (app a/b/c, sa s1/s2/admin, some l4), Services svc-a and svc-b, an HTTPRoute to svc-a.</summary>
    public MeshSnapshot World(IReadOnlyList<AuthorizationPolicy> policies)
    {
        var pods = new List<Pod>();
        var services = new List<Service>();
        var routes = new List<Route>();
        var ip = 1;
        foreach (var ns in Namespaces)
        {
            var count = Random.Next(2, 5);
            for (var i = 0; i < count; i++)
            {
                pods.Add(Authz.Pod(ns, $"pod-{i}", $"10.0.{ip}.{i + 1}", Pick(Accounts), [("app", Pick(Apps))], Chance(0.2) ? MeshLevels.L4 : null));
            }

            services.Add(Authz.Svc(ns, "svc-a", $"10.96.{ip}.1", [("app", "a")], K.Port(80, "http", 8080), K.Port(9090, "grpc", 9090)));
            services.Add(Authz.Svc(ns, "svc-b", $"10.96.{ip}.2", [("app", "b")], K.Port(80, "http", 8080)));
            routes.Add(K.Http(ns, "route-a", K.Parent("svc-a", port: 80),
                K.Rule(K.Prefix("/orders"), K.Backend("svc-a", 80)) with { Name = "orders" },
                K.Rule(K.Prefix("/admin"), K.Backend("svc-b", 80)) with { Name = "admin" }));
            ip++;
        }

        return new MeshSnapshot
        {
            Namespaces = [.. Namespaces.Select(n => new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = n } })],
            Pods = pods,
            Services = services,
            Routes = routes,
            AuthorizationPolicies = policies,
        };
    }

    public List<AuthorizationPolicy> Policies(int count, string? ns = null, bool routes = true, string prefix = "p")
    {
        var result = new List<AuthorizationPolicy>();
        for (var i = 0; i < count; i++)
        {
            result.Add(Policy(ns ?? Pick(Namespaces), $"{prefix}{i}", routes));
        }

        return result;
    }

    public AuthorizationPolicy Policy(string ns, string name, bool routes)
    {
        var targets = new List<AuthorizationTargetReference>();
        var n = Random.Next(1, 3);
        for (var i = 0; i < n; i++)
        {
            targets.Add(Random.Next(routes ? 6 : 4) switch
            {
                0 => Authz.Pods(),
                1 => Authz.Pods(("app", Pick(Apps))),
                2 => Authz.ServiceTarget(Pick("svc-a", "svc-b", "missing")),
                3 => Authz.Pods(("app", Pick(Apps))),
                4 => Authz.RouteTarget("HTTPRoute", "route-a", Chance(0.5) ? null : Pick("orders", "admin")),
                _ => Authz.RouteTarget("HTTPRoute", "route-a"),
            });
        }

        var rules = new List<AuthorizationRule>();
        var r = Random.Next(0, 4);
        for (var i = 0; i < r; i++)
        {
            rules.Add(Rule());
        }

        return Authz.PolicyOf(ns, name, Chance(0.5) ? AuthorizationAction.Allow : AuthorizationAction.Deny, [.. targets], [.. rules]);
    }

    private AuthorizationRule Rule()
    {
        AuthorizationSource[]? sources = Random.Next(4) switch
        {
            0 => null,
            1 => [],
            _ => [.. Enumerable.Range(0, Random.Next(1, 3)).Select(_ => Source())],
        };
        int[]? ports = Chance(0.3) ? [Pick(Ports)] : null;
        string[]? methods = Chance(0.25) ? [Pick("GET", "POST")] : null;
        HttpPathMatch[]? paths = Chance(0.25)
            ? [Random.Next(3) switch
            {
                0 => Authz.Path(PathMatchType.Exact, Pick("/orders", "/admin")),
                1 => Authz.Path(PathMatchType.PathPrefix, Pick("/orders", "/orders/", "/", "/admin")),
                _ => Authz.Path(PathMatchType.RegularExpression, Pick("/orders/[0-9]+", "/a.*", ".*")),
            }]
            : null;
        HttpHeaderMatch[]? headers = Chance(0.2)
            ? [Chance(0.5) ? Authz.Header("x-tenant", Pick("blue", "green")) : Authz.Header("x-tenant", "bl.*", HeaderMatchType.RegularExpression)]
            : null;
        var grpc = Chance(0.15);
        return Authz.Rule(sources, ports, methods, paths, headers,
            grpc ? "shop.Cart" : null, grpc && Chance(0.5) ? Pick("Checkout", "Refund") : null);
    }

    private AuthorizationSource Source() => Random.Next(3) switch
    {
        0 => Authz.Sa(Pick(Namespaces), Pick(Accounts)),
        1 => Authz.Sa(Pick(Namespaces), "*"),
        _ => Authz.Spiffe(Identity() ?? Authz.Id(Alpha, "s1")),
    };

    public string? Identity() => Random.Next(8) switch
    {
        0 => null,
        1 => Authz.Id(Pick(Namespaces), Pick(Accounts), "evil.org"),
        2 => $"spiffe://{MeshModel.DefaultTrustDomain}/ns/{Pick(Namespaces)}/sa/",
        3 => $"{Authz.Id(Pick(Namespaces), Pick(Accounts))}/extra",
        _ => Authz.Id(Pick(Namespaces), Pick(Accounts)),
    };

    public AuthorizationRequest Request()
    {
        var identity = Identity();
        var port = Pick(Ports);
        return Random.Next(4) switch
        {
            0 => new AuthorizationRequest(identity, port),
            1 => new AuthorizationRequest(identity, port, "POST", Pick(GrpcPaths), IsGrpc: true),
            _ => new AuthorizationRequest(identity, port, Pick(Methods), Pick(RequestPaths), Query: Chance(0.2) ? "x=1" : null),
        };
    }

    public (string Name, string Value)[] Headers() => Random.Next(4) switch
    {
        0 => [],
        1 => [("x-tenant", "blue")],
        2 => [("X-Tenant", "green")],
        _ => [("x-other", "blue")],
    };

    public string Default() => Pick(Defaults);

    public List<T> Shuffled<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
