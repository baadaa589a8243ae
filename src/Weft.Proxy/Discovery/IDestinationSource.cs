
namespace Weft.Proxy.Discovery;

/// <summary>The policy for traffic addressed to (host, port), as a compiled route table.</summary>
public interface IDestinationSource
{
    /// <summary>The route table for the destination, or null when it is not a mesh destination.</summary>
    ValueTask<RouteTable?> GetAsync(string host, int port, CancellationToken ct);

    /// <summary>What the source currently holds, for the admin endpoint.</summary>
    IReadOnlyList<DestinationSnapshot> Snapshot();
}
