using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Infrastructure;

/// <summary>Hand-built policies, as the control plane would send them.</summary>
public static class Policies
{
    public static DestinationPolicy Service(string name, int port, IReadOnlyList<RulePolicy>? rules = null, BackendPolicy? defaultBackend = null) => new()
    {
        ClientNamespace = "default",
        ServiceNamespace = "default",
        ServiceName = name,
        Port = port,
        Protocol = PolicyProtocol.Http,
        View = rules is { Count: > 0 } ? PolicyView.Producer : PolicyView.None,
        Rules = rules ?? [],
        DefaultBackend = defaultBackend,
    };

    public static BackendPolicy Backend(string name, int weight = 1, IReadOnlyList<FilterPolicy>? filters = null, params TestBackend[] endpoints) => new()
    {
        Namespace = "default",
        Name = name,
        Port = 80,
        Weight = weight,
        Endpoints = [.. endpoints.Select(e => new EndpointPolicy { Address = "127.0.0.1", Port = e.Port, Pod = $"default/{e.Name}" })],
        Filters = filters ?? [],
    };

    public static BackendPolicy Backend(TestBackend endpoint, int weight = 1) => Backend(endpoint.Name, weight, null, endpoint);

    public static RulePolicy Rule(MatchPolicy? match = null, IReadOnlyList<FilterPolicy>? filters = null, params BackendPolicy[] backends) => new()
    {
        Origin = new RuleOrigin { RouteKind = "HTTPRoute", RouteNamespace = "default", RouteName = "test", RuleIndex = 0, MatchIndex = 0 },
        Match = match ?? PathPrefix("/"),
        Filters = filters ?? [],
        Backends = backends,
    };

    public static MatchPolicy PathPrefix(string prefix) => new() { PathType = "PathPrefix", PathValue = prefix };

    public static MatchPolicy Exact(string path) => new() { PathType = "Exact", PathValue = path };

    public static FilterPolicy RequestHeaders(HeaderModifierPolicy headers) => new() { Kind = FilterKind.RequestHeaderModifier, Headers = headers };

    public static FilterPolicy ResponseHeaders(HeaderModifierPolicy headers) => new() { Kind = FilterKind.ResponseHeaderModifier, Headers = headers };

    public static HeaderValuePolicy Header(string name, string value) => new() { Name = name, Value = value };
}
