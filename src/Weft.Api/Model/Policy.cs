namespace Weft.Api.Model;

public sealed record ReferenceGrantFrom
{
    public required string Group { get; init; }
    public required string Kind { get; init; }
    public required string Namespace { get; init; }
}

public sealed record ReferenceGrantTo
{
    public required string Group { get; init; }
    public required string Kind { get; init; }
    public string? Name { get; init; }
}

public sealed record ReferenceGrant : KubeObject
{
    public override string Kind => "ReferenceGrant";
    public IReadOnlyList<ReferenceGrantFrom> From { get; init; } = [];
    public IReadOnlyList<ReferenceGrantTo> To { get; init; } = [];
}

/// <summary>GEP-3949 Mesh resource (cluster-scoped).</summary>
public sealed record XMesh : KubeObject
{
    public override string Kind => "XMesh";
    public required string ControllerName { get; init; }
    public string? Description { get; init; }
    public LocalObjectReference? ParametersRef { get; init; }
}
