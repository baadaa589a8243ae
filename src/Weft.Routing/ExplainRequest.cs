namespace Weft.Routing;

/// <summary>
/// A request to explain: where it is addressed (host as the app wrote it, or an IP), what it carries, and, for a TLS
/// destination, the SNI its ClientHello would send (<paramref name="ServerName"/>, null for none). With the caller's
/// <paramref name="Identity"/> (its SPIFFE ID), the explanation also says whether each backend pod would admit it.
/// </summary>
public sealed record ExplainRequest(
    string Host, int Port, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, string? ServerName = null, string? Identity = null)
{
    /// <summary>
    /// The calling pod ("namespace/name"), when known: its outbound policy decides a destination outside the mesh, and its
    /// level (<see cref="MeshLevels"/>) what its side of the mesh does; unknown, the client namespace's level.
    /// </summary>
    public string? ClientPod { get; init; }

    /// <summary>
    /// Where <see cref="ClientPod"/>'s level was set, in words ("Deployment shop/web pod template label weft.dev/mesh",
    /// "namespace shop label weft.dev/mesh", "the mesh default"), when whoever admitted the pod knows: a pod records only
    /// the level the injector resolved (its <see cref="MeshLevels.Key"/> annotation), not where it came from. Null: the
    /// pod's own labels and annotations, then its namespace's, are named.
    /// </summary>
    public string? ClientLevelSource { get; init; }
}
