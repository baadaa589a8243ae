using Weft.Routing.Policy;

namespace Weft.Proxy.Discovery;

/// <summary>The policy for traffic addressed to (host, port), as a compiled route table.</summary>
public interface IDestinationSource
{
    /// <summary>The route table for the destination, or null when it is not a mesh destination.</summary>
    ValueTask<RouteTable?> GetAsync(string host, int port, CancellationToken ct);

    /// <summary>
    /// The client's outbound policy for a destination <see cref="GetAsync"/> answered null for (outside the mesh): what
    /// its traffic may do there, and where that is set.
    /// </summary>
    ValueTask<OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct);

    /// <summary>What the source currently holds, for the admin endpoint.</summary>
    IReadOnlyList<DestinationSnapshot> Snapshot();
}
