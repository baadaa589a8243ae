using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Discovery;

/// <summary>
/// The policy a proxy currently applies to one destination (host, port): immutable, swapped atomically as a whole
/// when the control plane sends a version the proxy could build.
/// </summary>
/// <param name="Table">The compiled route table; null when the control plane answered NOT_FOUND (not a mesh destination).</param>
/// <param name="Version">The version the control plane sent it as.</param>
public sealed record DestinationEntry(RouteTable? Table, ulong Version)
{
    /// <summary>The policy <see cref="Table"/> was built from (for the admin endpoint); null when NOT_FOUND.</summary>
    public DestinationPolicy? Policy { get; init; }

    /// <summary>What the client's sidecar does with traffic to this destination outside the mesh; set when NOT_FOUND.</summary>
    public OutsidePolicy? Outside { get; init; }

    public bool Found => Table is not null;
}
