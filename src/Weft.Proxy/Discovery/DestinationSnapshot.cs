using Weft.Routing.Policy;

namespace Weft.Proxy.Discovery;

/// <summary>One destination a source holds, as the admin endpoint shows it.</summary>
/// <param name="Host">What the app addressed.</param>
/// <param name="Port">The port it addressed.</param>
/// <param name="Version">The version of the policy in use (0 while none has arrived).</param>
/// <param name="Policy">The policy in use; null when the destination is not in the mesh or nothing has arrived yet.</param>
public sealed record DestinationSnapshot(string Host, int Port, ulong Version, DestinationPolicy? Policy)
{
    public bool Connected { get; init; } = true;

    /// <summary>The last version the proxy could not build, or 0.</summary>
    public ulong RejectedVersion { get; init; }

    public string? RejectedError { get; init; }
}
