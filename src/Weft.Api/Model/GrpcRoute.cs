namespace Weft.Api.Model;

public sealed record GrpcMethodMatch
{
    public string Type { get; init; } = HeaderMatchType.Exact;
    public string? Service { get; init; }
    public string? Method { get; init; }
}

public sealed record GrpcRouteMatch
{
    public GrpcMethodMatch? Method { get; init; }
    public IReadOnlyList<HttpHeaderMatch> Headers { get; init; } = [];
}

/// <summary>GRPCRoute filters use the same shapes as HTTPRoute's (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef).</summary>
public sealed record GrpcRouteRule
{
    public string? Name { get; init; }
    public IReadOnlyList<GrpcRouteMatch> Matches { get; init; } = [];
    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];
    public IReadOnlyList<BackendRef> BackendRefs { get; init; } = [];
}

public sealed record GrpcRouteSpec
{
    public IReadOnlyList<ParentReference> ParentRefs { get; init; } = [];
    public IReadOnlyList<string> Hostnames { get; init; } = [];
    public IReadOnlyList<GrpcRouteRule> Rules { get; init; } = [];
}

public sealed record GrpcRoute : Route
{
    public override string Kind => "GRPCRoute";
    public required GrpcRouteSpec Spec { get; init; }
    public override IReadOnlyList<ParentReference> ParentRefs => Spec.ParentRefs;
}
