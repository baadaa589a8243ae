using System.Text.Json;
using Weft.Routing.Policy;

namespace Weft.Routing.Authorization;

/// <summary>The discovery API's JSON form of an <see cref="InboundPolicy"/> (camelCase, nulls omitted), deterministic for equal policies.</summary>
public static class InboundPolicyJson
{
    public static byte[] Serialize(InboundPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return JsonSerializer.SerializeToUtf8Bytes(policy, PolicyJsonContext.Default.InboundPolicy);
    }

    /// <exception cref="JsonException">The bytes are not a valid policy.</exception>
    public static InboundPolicy Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, PolicyJsonContext.Default.InboundPolicy)
        ?? throw new JsonException("inbound policy JSON is null");
}
