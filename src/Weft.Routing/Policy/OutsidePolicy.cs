namespace Weft.Routing.Policy;

/// <summary>
/// What a client's sidecar does with traffic to a destination outside the mesh (<see cref="OutboundPolicies"/>), sent
/// with the control plane's NOT_FOUND answer for that destination.
/// </summary>
public sealed record OutsidePolicy
{
    /// <summary><see cref="OutboundPolicies.AllowAny"/> or <see cref="OutboundPolicies.RegistryOnly"/>.</summary>
    public required string Mode { get; init; }

    /// <summary>Where the mode comes from, in words, for the refusal's message: "namespace shop annotation weft.dev/outbound-policy".</summary>
    public required string Source { get; init; }

    /// <summary>Whether traffic outside the mesh may go where the app sent it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool AllowsAny => Mode == OutboundPolicies.AllowAny;

    /// <summary>The policy of a sidecar that has no control plane to ask (its destinations are fixed): traffic outside them goes where it was sent.</summary>
    public static OutsidePolicy Unmanaged { get; } = new() { Mode = OutboundPolicies.AllowAny, Source = "this sidecar's fixed destinations (no control plane)" };
}
