namespace Weft.Discovery;

/// <summary>One subscription of a <see cref="DiscoveryClient"/>, as its admin endpoint shows it.</summary>
/// <param name="Host">What the app addressed.</param>
/// <param name="Port">The port it addressed.</param>
/// <param name="Entry">The last good entry, or null while none has been received.</param>
/// <param name="Connected">Whether the stream to the control plane is up.</param>
/// <param name="RejectedVersion">The last version the proxy could not build (NACKed), or 0.</param>
/// <param name="RejectedError">Why it could not build it.</param>
public sealed record DestinationState(
    string Host,
    int Port,
    DestinationEntry? Entry,
    bool Connected,
    ulong RejectedVersion,
    string? RejectedError);
