using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Matching;

namespace Weft.Routing.Tests.Authorization;

/// <summary>Builders for AuthorizationPolicies and a small shop world, shaped like the manifests they stand for.</summary>
internal static class Authz
{
    public const string Shop = "shop";
    public const string Ops = "ops";

    public static string Id(string ns, string sa, string trustDomain = MeshModel.DefaultTrustDomain) => $"spiffe://{trustDomain}/ns/{ns}/sa/{sa}";

    public static AuthorizationPolicy PolicyOf(string ns, string name, string action, AuthorizationTargetReference[] targets, params AuthorizationRule[] rules) => new()
    {
        ApiVersion = WeftPolicyApi.ApiVersion,
        Metadata = new ObjectMeta { Namespace = ns, Name = name },
        Spec = new AuthorizationPolicySpec { Action = action, TargetRefs = targets, Rules = rules },
    };

    public static AuthorizationPolicy Allow(string name, AuthorizationTargetReference target, params AuthorizationRule[] rules) =>
        PolicyOf(Shop, name, AuthorizationAction.Allow, [target], rules);

    public static AuthorizationPolicy Deny(string name, AuthorizationTargetReference target, params AuthorizationRule[] rules) =>
        PolicyOf(Shop, name, AuthorizationAction.Deny, [target], rules);

    public static AuthorizationTargetReference Pods(params (string Key, string Value)[] labels) => new()
    {
        Kind = "Pod",
        Selector = new LabelSelector { MatchLabels = labels.ToDictionary(l => l.Key, l => l.Value) },
    };

    public static AuthorizationTargetReference ServiceTarget(string name) => new() { Kind = "Service", Name = name };

    public static AuthorizationTargetReference RouteTarget(string kind, string name, string? section = null) =>
        new() { Group = GatewayApi.Group, Kind = kind, Name = name, SectionName = section };

    public static AuthorizationSource Sa(string ns, string name) =>
        new() { Type = AuthorizationSourceType.ServiceAccount, ServiceAccount = new AuthorizationServiceAccount { Namespace = ns, Name = name } };

    public static AuthorizationSource Spiffe(string id) => new() { Type = AuthorizationSourceType.Spiffe, Spiffe = id };

    public static AuthorizationRule Rule(
        AuthorizationSource[]? sources = null,
        int[]? ports = null,
        string[]? methods = null,
        HttpPathMatch[]? paths = null,
        HttpHeaderMatch[]? headers = null,
        string? grpcService = null,
        string? grpcMethod = null) => new()
        {
            Sources = sources,
            NetworkAttributes = ports is null ? null : new AuthorizationNetworkAttributes { Ports = ports },
            Http = methods is null && paths is null && headers is null ? null : new AuthorizationHttpAttributes { Methods = methods ?? [], Paths = paths ?? [], Headers = headers ?? [] },
            Grpc = grpcService is null && grpcMethod is null ? null : new AuthorizationGrpcAttributes { Service = grpcService, Method = grpcMethod },
        };

    public static HttpPathMatch Path(string type, string value) => new() { Type = type, Value = value };

    public static HttpHeaderMatch Header(string name, string value, string type = HeaderMatchType.Exact) => new() { Name = name, Value = value, Type = type };

    public static Pod Pod(string ns, string name, string ip, string sa, (string Key, string Value)[] labels, string? level = null, params ContainerPort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta
        {
            Namespace = ns,
            Name = name,
            Labels = labels.ToDictionary(l => l.Key, l => l.Value),
            Annotations = level is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [MeshLevels.Key] = level },
        },
        PodIP = ip,
        Spec = new PodSpec { ServiceAccountName = sa, Containers = [new Container { Name = "app", Ports = ports }] },
    };

    public static Service Svc(string ns, string name, string clusterIP, (string Key, string Value)[] selector, params ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Namespace = ns, Name = name },
        Spec = new ServiceSpec { ClusterIP = clusterIP, ClusterIPs = [clusterIP], Selector = selector.ToDictionary(l => l.Key, l => l.Value), Ports = ports },
    };

    /// <summary>
    /// shop: cart-1 (app=cart, sa cart), web-1 (app=web, sa web), db-1 (app=db, l4); Service cart (80 -&gt; 8080, 9090);
    /// HTTPRoute cart-route (rules "orders": /orders, "admin": /admin, to cart:80); GRPCRoute cart-grpc (rule "checkout":
    /// shop.Cart/Checkout to cart:9090). ops: probe-1 (sa probe).
    /// </summary>
    public static MeshSnapshot World(params AuthorizationPolicy[] policies) => new()
    {
        Namespaces = [new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = Shop } }, new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = Ops } }],
        Pods =
        [
            Pod(Shop, "cart-1", "10.0.0.1", "cart", [("app", "cart")]),
            Pod(Shop, "web-1", "10.0.0.2", "web", [("app", "web")]),
            Pod(Shop, "db-1", "10.0.0.3", "db", [("app", "db")], MeshLevels.L4),
            Pod(Ops, "probe-1", "10.0.1.1", "probe", [("app", "probe")]),
        ],
        Services =
        [
            Svc(Shop, "cart", "10.96.0.1", [("app", "cart")], K.Port(80, "http", 8080), K.Port(9090, "grpc", 9090, app: "grpc")),
            Svc(Shop, "db", "10.96.0.3", [("app", "db")], K.Port(5432, "pg", 5432)),
            Svc(Shop, "nobody", "10.96.0.4", [("app", "none")], K.Port(80, "http", 8080)),
        ],
        Routes =
        [
            K.Http(Shop, "cart-route", K.Parent("cart", port: 80),
                K.Rule(K.Prefix("/orders"), K.Backend("cart", 80)) with { Name = "orders" },
                K.Rule(K.Prefix("/admin"), K.Backend("cart", 80)) with { Name = "admin" }),
            K.Grpc(Shop, "cart-grpc", K.Parent("cart", port: 9090),
                K.GrpcRule([K.GrpcMatch("shop.Cart", "Checkout")], K.Backend("cart", 9090)) with { Name = "checkout" }),
            K.Http(Shop, "db-route", K.Parent("db", port: 5432), K.Rule(K.Prefix("/"), K.Backend("db", 5432)) with { Name = "all" }),
        ],
        AuthorizationPolicies = policies,
    };

    public static HeaderList Headers(params (string Name, string Value)[] headers) =>
        new(headers.Select(h => KeyValuePair.Create(h.Name, h.Value)));

    public static AuthorizationDecision Decide(this MeshModel model, string pod, AuthorizationRequest request, params (string Name, string Value)[] headers)
    {
        var slash = pod.IndexOf('/', StringComparison.Ordinal);
        return model.ExplainAuthorization(pod[..slash], pod[(slash + 1)..], request, Headers(headers))
            ?? throw new InvalidOperationException($"no pod {pod}");
    }

    /// <summary>The model of <paramref name="world"/> for each mesh default inbound policy, built on first use.</summary>
    public static Func<string, MeshModel> ModelPerDefault(MeshSnapshot world)
    {
        var models = new Dictionary<string, MeshModel>();
        return meshDefault => models.TryGetValue(meshDefault, out var m) ? m : models[meshDefault] = MeshModel.Build(world, defaultInboundPolicy: meshDefault);
    }

    /// <summary>An HTTP request as the sidecars pass it: the path, and the query apart.</summary>
    public static AuthorizationRequest Http(string? identity, string method, string pathAndQuery, int port = 8080) =>
        pathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0
            ? new(identity, port, method, pathAndQuery[..q], Query: pathAndQuery[(q + 1)..])
            : new(identity, port, method, pathAndQuery);

    public static AuthorizationRequest Grpc(string? identity, string path, int port = 9090) => new(identity, port, "POST", path, IsGrpc: true);

    public static AuthorizationRequest Tcp(string? identity, int port = 8080) => new(identity, port);
}
