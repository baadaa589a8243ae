namespace Weft.Discovery;

/// <summary>The inbound-policy subscription of a <see cref="DiscoveryClient"/>, as its admin endpoint shows it.</summary>
/// <param name="Pod">"namespace/name" of the pod.</param>
/// <param name="Entry">The last good entry, or null while none has been received.</param>
/// <param name="Connected">Whether the stream to the control plane is up.</param>
/// <param name="RejectedVersion">The last version the sidecar could not build (NACKed), or 0.</param>
/// <param name="RejectedError">Why it could not build it.</param>
public sealed record InboundState(string Pod, InboundEntry? Entry, bool Connected, ulong RejectedVersion, string? RejectedError);
