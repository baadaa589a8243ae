using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// Issue 17's statuses as API objects hold them: an XBackend's <c>status.parents[]</c> (<c>{parentRef, controllerName,
/// conditions}</c>) and a BackendTLSPolicy's or XBackendTrafficPolicy's <c>status.ancestors[]</c> (<c>{ancestorRef,
/// controllerName, conditions}</c>, GEP-713), in the list form <c>weft status</c> and <c>weft validate</c> print:
/// <c>[{kind, namespace, name, status}]</c>. <see cref="KubeStatusWriter"/> writes the policies' as <see cref="StatusFor"/>
/// makes them, and the XBackends' as it writes a route's parents (the same shape).
/// </summary>
public static class BackendStatusJson
{
    /// <summary><c>status.ancestors</c> has <c>maxItems: 16</c> in the BackendTLSPolicy and XBackendTrafficPolicy CRDs.</summary>
    public const int MaxAncestors = 16;

    /// <summary>
    /// A BackendTLSPolicy's or XBackendTrafficPolicy's status with <paramref name="controllerName"/>'s ancestor entries
    /// made <paramref name="desired"/>'s (the ancestorRef as <see cref="RouteStatusJson.ParentRef"/> writes a reference),
    /// merged as an AuthorizationPolicy's are (<see cref="PolicyAncestorsJson.Merge"/>): other controllers' entries kept.
    /// Null when nothing of ours is there or wanted.
    /// </summary>
    public static JsonObject? StatusFor(JsonObject current, Weft.Routing.Backends.BackendPolicyStatus? desired, string controllerName, DateTimeOffset now) =>
        PolicyAncestorsJson.Merge(current, [.. (desired?.Ancestors ?? []).Select(a => (RouteStatusJson.ParentRef(a.AncestorRef), a.Conditions))], controllerName, now, MaxAncestors);

    /// <summary>Every XBackend's status, then every BackendTLSPolicy's and XBackendTrafficPolicy's, each in snapshot order.</summary>
    public static JsonArray ToArray(MeshModel model, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(model);
        var time = RouteStatusJson.Timestamp(now);
        var all = new JsonArray();
        foreach (var x in model.XBackendStatuses)
        {
            all.Add(Item(XBackend.KindName, x.Namespace, x.Name, "parents", x.Parents.Select(p => Entry("parentRef", p.ParentRef, p.ControllerName, p.Conditions, time))));
        }

        foreach (var p in model.BackendTlsPolicyStatuses.Concat(model.BackendTrafficPolicyStatuses))
        {
            all.Add(Item(p.Kind, p.Namespace, p.Name, "ancestors", p.Ancestors.Select(a => Entry("ancestorRef", a.AncestorRef, a.ControllerName, a.Conditions, time))));
        }

        return all;
    }

    /// <summary><see cref="ToArray"/> as UTF-8 (an empty array when the model has none of these objects).</summary>
    public static byte[] ToUtf8Bytes(MeshModel model, DateTimeOffset now) => System.Text.Encoding.UTF8.GetBytes(ToArray(model, now).ToJsonString());

    private static JsonObject Item(string kind, string ns, string name, string list, IEnumerable<JsonObject> entries) => new()
    {
        ["kind"] = kind,
        ["namespace"] = ns,
        ["name"] = name,
        ["status"] = new JsonObject { [list] = new JsonArray([.. entries]) },
    };

    private static JsonObject Entry(string refField, ParentReference reference, string controllerName, IReadOnlyList<RouteCondition> conditions, string time) => new()
    {
        [refField] = RouteStatusJson.ParentRef(reference),
        ["controllerName"] = controllerName,
        ["conditions"] = new JsonArray([.. conditions.Select(c => RouteStatusJson.Condition(c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, null, time))]),
    };
}
