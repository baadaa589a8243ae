using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// One change in the history: the object after it (for DELETED, the last state stamped with the deletion's
/// resourceVersion, as the watch cache sends it) and before it, so selector transitions and past lists can be worked out.
/// </summary>
internal sealed record StoredEvent(long ResourceVersion, string Type, string StorageKey, JsonObject Object, JsonObject? Previous);
