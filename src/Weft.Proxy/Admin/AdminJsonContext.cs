using System.Text.Json.Serialization;
using Weft.Routing.Policy;

namespace Weft.Proxy.Admin;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DestinationPolicy))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
