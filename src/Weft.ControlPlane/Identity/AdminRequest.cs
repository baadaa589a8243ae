namespace Weft.ControlPlane.Identity;

/// <summary>
/// What an operator asks of the control plane (<c>weft status</c>, <c>stat</c>, <c>tap</c>, <c>top</c>,
/// <c>dashboard</c>), as a Kubernetes authorizer sees it: a verb on a resource of the <see cref="Group"/> API group, in
/// one namespace or (null) across all. The local mode's admin credential may do everything; in a cluster RBAC decides
/// (a SubjectAccessReview, as Linkerd's tap asks about <c>tap.linkerd.io</c>), so a team can be let tap its own
/// namespace and nothing else.
/// </summary>
/// <param name="Verb">The RBAC verb: <c>get</c> to read, <c>watch</c> to stream.</param>
/// <param name="Resource">The RBAC resource: <see cref="StatusResource"/>, <see cref="StatsResource"/> or <see cref="TapsResource"/>.</param>
/// <param name="Namespace">The namespace asked about; null: every namespace.</param>
/// <param name="Command">The CLI verb, for messages (<c>weft tap</c>).</param>
public sealed record AdminRequest(string Verb, string Resource, string? Namespace, string Command)
{
    /// <summary>The API group of the resources below (no such objects exist: only RBAC rules name them).</summary>
    public const string Group = "weft.dev";

    /// <summary>Route and policy status, load problems and proxy subscriptions: cluster-wide.</summary>
    public const string StatusResource = "status";

    /// <summary>The golden metrics windows of a namespace's pods.</summary>
    public const string StatsResource = "stats";

    /// <summary>Live requests (paths, identities) of a namespace's pods.</summary>
    public const string TapsResource = "taps";

    /// <summary><c>weft status</c>: <c>get status.weft.dev</c> cluster-wide.</summary>
    public static AdminRequest Status() => new("get", StatusResource, null, "status");

    /// <summary><c>weft stat</c>: <c>get stats.weft.dev</c> in <paramref name="namespace"/> (null: all).</summary>
    public static AdminRequest Stat(string? @namespace) => new("get", StatsResource, NullIfEmpty(@namespace), "stat");

    /// <summary><c>weft tap</c>: <c>watch taps.weft.dev</c> in <paramref name="namespace"/> (null: all).</summary>
    public static AdminRequest Tap(string? @namespace) => new("watch", TapsResource, NullIfEmpty(@namespace), "tap");

    /// <summary>As RBAC's messages name it: <c>watch taps.weft.dev in namespace shop</c>.</summary>
    public override string ToString() =>
        $"{Verb} {Resource}.{Group} {(Namespace is null ? "in every namespace" : "in namespace " + Namespace)}";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
