namespace Weft.Api.Model;

/// <summary>Gateway API ParentReference. Defaults (group gateway.networking.k8s.io, kind Gateway) are applied at load time.</summary>
public sealed record ParentReference
{
    public string Group { get; init; } = GatewayApi.Group;
    public string Kind { get; init; } = "Gateway";
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public string? SectionName { get; init; }
    public int? Port { get; init; }
}

/// <summary>A backendRef of any route kind. <see cref="Filters"/> holds its backend-level filters.</summary>
public sealed record BackendRef
{
    public string Group { get; init; } = CoreServiceRef.Group;
    public string Kind { get; init; } = CoreServiceRef.Kind;
    public string? Namespace { get; init; }
    public required string Name { get; init; }
    public int? Port { get; init; }
    public int Weight { get; init; } = 1;
    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];
}

public sealed record HttpHeader
{
    public required string Name { get; init; }
    public required string Value { get; init; }
}

/// <summary>RequestHeaderModifier / ResponseHeaderModifier (GEP G4).</summary>
public sealed record HttpHeaderFilter
{
    public IReadOnlyList<HttpHeader> Set { get; init; } = [];
    public IReadOnlyList<HttpHeader> Add { get; init; } = [];
    public IReadOnlyList<string> Remove { get; init; } = [];
}

public sealed record LocalObjectReference
{
    public required string Group { get; init; }
    public required string Kind { get; init; }
    public required string Name { get; init; }
}

public sealed record Fraction
{
    public required int Numerator { get; init; }
    public int Denominator { get; init; } = 100;
}

public sealed record HttpRequestMirrorFilter
{
    public required BackendRef BackendRef { get; init; }
    public int? Percent { get; init; }
    public Fraction? Fraction { get; init; }
}

/// <summary>Group and version constants.</summary>
public static class GatewayApi
{
    public const string Group = "gateway.networking.k8s.io";
    public const string ExperimentalGroup = "gateway.networking.x-k8s.io";
}
