namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The query of a list or watch (meta/v1 ListOptions).</summary>
internal sealed record ListOptions
{
    public string? ResourceVersion { get; init; }

    public string? ResourceVersionMatch { get; init; }

    public int? Limit { get; init; }

    public string? Continue { get; init; }

    public LabelSelector Labels { get; init; } = LabelSelector.Everything;

    public FieldSelector Fields { get; init; } = FieldSelector.Everything;

    public bool Watch { get; init; }

    public bool AllowWatchBookmarks { get; init; }

    public int? TimeoutSeconds { get; init; }
}
