namespace Weft.ControlPlane.Kubernetes;

/// <summary>How a <see cref="KubeInformer"/> lists and watches.</summary>
public sealed record KubeInformerOptions
{
    /// <summary>Items per list page (<c>limit</c>); the rest follow with <c>continue</c>.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>The shortest watch timeout asked of the server; each watch asks for between this and twice this.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
