using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// A route's <c>status.parents[]</c> as API objects hold it, both ways: what <see cref="KubeStatusWriter"/> writes and
/// what <c>weft status</c> and the conformance runner read back, so the two cannot disagree on the shape. Reading is
/// lenient (another controller's entry may be malformed): missing fields read as the API's defaults.
/// </summary>
public static class RouteStatusJson
{
    /// <summary>The parentRef as the spec has it, defaults included (gamma-spec H1: copied from the spec).</summary>
    public static JsonObject ParentRef(ParentReference p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var json = new JsonObject { ["group"] = p.Group, ["kind"] = p.Kind };
        if (p.Namespace is not null)
        {
            json["namespace"] = p.Namespace;
        }

        json["name"] = p.Name;
        if (p.SectionName is not null)
        {
            json["sectionName"] = p.SectionName;
        }

        if (p.Port is int port)
        {
            json["port"] = port;
        }

        return json;
    }

    public static ParentReference ReadParentRef(JsonNode? json) => new()
    {
        Group = json?["group"].Text() ?? GatewayApi.Group,
        Kind = json?["kind"].Text() ?? "Gateway",
        Namespace = json?["namespace"].Text(),
        Name = json?["name"].Text() ?? "",
        SectionName = json?["sectionName"].Text(),
        Port = json?["port"].Int(),
    };

    /// <summary>
    /// Weft's entries for a route the loader refused: one per Service parentRef as written (gamma-spec A1; the others are
    /// other controllers'), <c>Accepted=False</c> with reason <c>UnsupportedValue</c> (H2: the route holds a value Weft
    /// cannot take) and the loader's words, at the generation refused.
    /// </summary>
    public static IReadOnlyList<RouteParentStatus> RefusedParents(JsonObject route, KubeRefusal refusal, string controllerName)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(refusal);
        IReadOnlyList<RouteCondition> conditions =
            [new(RouteConditions.Accepted, RouteConditions.False, RouteConditions.UnsupportedValue, refusal.Message, refusal.Generation)];
        return [.. (route["spec"]?["parentRefs"] as JsonArray ?? []).OfType<JsonObject>().Select(ReadParentRef)
            .Where(MeshModel.IsServiceParent).Select(p => new RouteParentStatus(p, controllerName, conditions))];
    }

    /// <summary>The entries of <paramref name="controllerName"/> in <paramref name="route"/>'s status, with its generation.</summary>
    public static RouteStatus Read(JsonObject route, string controllerName)
    {
        ArgumentNullException.ThrowIfNull(route);
        var meta = route["metadata"] as JsonObject;
        var parents = new List<RouteParentStatus>();
        foreach (var entry in (route["status"]?["parents"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (entry["controllerName"].Text() != controllerName)
            {
                continue;
            }

            var conditions = (entry["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new RouteCondition(
                c["type"].Text() ?? "", c["status"].Text() ?? "", c["reason"].Text() ?? "", c["message"].Text() ?? "",
                c["observedGeneration"].Long() ?? 0)).ToList();
            parents.Add(new RouteParentStatus(ReadParentRef(entry["parentRef"]), controllerName, conditions));
        }

        return new RouteStatus(
            route["kind"].Text() ?? "", meta?["namespace"].Text() ?? "", meta?["name"].Text() ?? "", meta?["generation"].Long() ?? 1, parents);
    }

    /// <summary>The status entries of <paramref name="controllerName"/> of every route the API server holds (kinds it does not serve skipped).</summary>
    public static async Task<IReadOnlyList<RouteStatus>> ReadAllAsync(IKubernetes client, string controllerName, CancellationToken ct)
    {
        var statuses = new List<RouteStatus>();
        foreach (var resource in KubeResource.Routes)
        {
            try
            {
                statuses.AddRange((await resource.ListAllAsync(client, ct).ConfigureAwait(false)).Select(route => Read(route, controllerName)));
            }
            catch (Exception e) when (KubeErrors.IsNotServed(e))
            {
            }
        }

        return statuses;
    }

    /// <summary>
    /// A metav1.Condition, keeping <paramref name="previous"/>'s <c>lastTransitionTime</c> for its type while the status
    /// is unchanged, else <paramref name="now"/>.
    /// </summary>
    internal static JsonObject Condition(string type, string status, string reason, string message, long generation, JsonArray? previous, string now)
    {
        var before = previous?.FirstOrDefault(p => p?["type"].Text() == type);
        var transition = before?["status"].Text() == status && before["lastTransitionTime"].Text() is { } kept ? kept : now;
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["observedGeneration"] = generation,
            ["lastTransitionTime"] = transition,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    /// <summary>A Kubernetes timestamp (RFC 3339, UTC, whole seconds), as <c>lastTransitionTime</c> and pod times are written.</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
