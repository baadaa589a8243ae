using System.Text.Json.Serialization;

namespace Weft.Routing.Policy;

/// <summary>Source-generated (AOT-safe) JSON metadata for the discovery wire format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(DestinationPolicy))]
[JsonSerializable(typeof(OutsidePolicy))]
[JsonSerializable(typeof(Weft.Routing.Authorization.InboundPolicy))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
