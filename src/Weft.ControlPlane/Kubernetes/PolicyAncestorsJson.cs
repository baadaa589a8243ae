using System.Text.Json.Nodes;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// A policy's <c>status.ancestors[]</c> (GEP-713 policy status: <c>{ancestorRef, controllerName, conditions}</c>) with one
/// controller's entries made what it wants, whatever the policy kind: Weft's AuthorizationPolicy
/// (<see cref="AuthorizationStatusJson"/>), BackendTLSPolicy and XBackendTrafficPolicy (<see cref="BackendStatusJson"/>).
/// </summary>
internal static class PolicyAncestorsJson
{
    /// <summary>
    /// The policy's status with <paramref name="controllerName"/>'s ancestor entries made <paramref name="wanted"/>: an
    /// entry already there (same ancestorRef) is updated where it stands, keeping each condition's
    /// <c>lastTransitionTime</c> while its status is unchanged; one no longer wanted is dropped; a new one is appended
    /// while there are fewer than <paramref name="maxAncestors"/> (the CRD's <c>maxItems</c>). Other controllers' entries
    /// and the order are kept. Null when nothing of ours is there or wanted.
    /// </summary>
    public static JsonObject? Merge(
        JsonObject current, IReadOnlyList<(JsonObject Ref, IReadOnlyList<RouteCondition> Conditions)> wanted, string controllerName, DateTimeOffset now, int maxAncestors)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(wanted);
        var existing = current["status"]?["ancestors"] as JsonArray ?? [];
        if (wanted.Count == 0 && !existing.OfType<JsonObject>().Any(e => e["controllerName"].Text() == controllerName))
        {
            return null;
        }

        var time = RouteStatusJson.Timestamp(now);
        var placed = new HashSet<int>();
        JsonObject Entry(int index, JsonObject? previous)
        {
            var conditions = new JsonArray();
            foreach (var c in wanted[index].Conditions)
            {
                conditions.Add(RouteStatusJson.Condition(c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, previous?["conditions"] as JsonArray, time));
            }

            return new JsonObject { ["ancestorRef"] = wanted[index].Ref.DeepClone(), ["controllerName"] = controllerName, ["conditions"] = conditions };
        }

        var ancestors = new JsonArray();
        foreach (var entry in existing)
        {
            if (entry is not JsonObject e || e["controllerName"].Text() != controllerName)
            {
                ancestors.Add(entry?.DeepClone());
                continue;
            }

            var match = -1;
            for (var i = 0; i < wanted.Count && match < 0; i++)
            {
                match = JsonNode.DeepEquals(wanted[i].Ref, e["ancestorRef"]) ? i : -1;
            }

            if (match >= 0 && placed.Add(match))
            {
                ancestors.Add(Entry(match, e));
            }
        }

        for (var i = 0; i < wanted.Count && ancestors.Count < maxAncestors; i++)
        {
            if (!placed.Contains(i))
            {
                ancestors.Add(Entry(i, null));
            }
        }

        var status = (current["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        status["ancestors"] = ancestors;
        return status;
    }
}
