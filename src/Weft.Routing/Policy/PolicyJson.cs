using System.Text.Json;

namespace Weft.Routing.Policy;

/// <summary>
/// The discovery API's JSON form of a <see cref="DestinationPolicy"/> (camelCase, nulls omitted). Serialisation is
/// deterministic for equal policies, so the control plane can send an update only when the bytes change.
/// </summary>
public static class PolicyJson
{
    public static byte[] Serialize(DestinationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return JsonSerializer.SerializeToUtf8Bytes(policy, PolicyJsonContext.Default.DestinationPolicy);
    }

    /// <exception cref="JsonException">The bytes are not a valid policy.</exception>
    public static DestinationPolicy Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, PolicyJsonContext.Default.DestinationPolicy)
        ?? throw new JsonException("policy JSON is null");

    /// <summary>The JSON of an outbound policy (sent with a NOT_FOUND answer).</summary>
    public static byte[] Serialize(OutsidePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return JsonSerializer.SerializeToUtf8Bytes(policy, PolicyJsonContext.Default.OutsidePolicy);
    }

    /// <exception cref="JsonException">The bytes are not a valid outbound policy.</exception>
    public static OutsidePolicy DeserializeOutside(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, PolicyJsonContext.Default.OutsidePolicy)
        ?? throw new JsonException("outbound policy JSON is null");
}
