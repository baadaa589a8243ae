namespace Weft.Api.Model;

public sealed record L4RouteRule
{
    public string? Name { get; init; }
    public IReadOnlyList<BackendRef> BackendRefs { get; init; } = [];
}

public sealed record TcpRouteSpec
{
    public IReadOnlyList<ParentReference> ParentRefs { get; init; } = [];
    public IReadOnlyList<L4RouteRule> Rules { get; init; } = [];
}

public sealed record TcpRoute : Route
{
    public override string Kind => "TCPRoute";
    public required TcpRouteSpec Spec { get; init; }
    public override IReadOnlyList<ParentReference> ParentRefs => Spec.ParentRefs;
}

public sealed record TlsRouteSpec
{
    public IReadOnlyList<ParentReference> ParentRefs { get; init; } = [];
    public IReadOnlyList<string> Hostnames { get; init; } = [];
    public IReadOnlyList<L4RouteRule> Rules { get; init; } = [];
}

public sealed record TlsRoute : Route
{
    public override string Kind => "TLSRoute";
    public required TlsRouteSpec Spec { get; init; }
    public override IReadOnlyList<ParentReference> ParentRefs => Spec.ParentRefs;
}
