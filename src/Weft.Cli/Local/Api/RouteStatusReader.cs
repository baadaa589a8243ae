using System.Text.Json.Nodes;
using k8s;
using Weft.Api.Model;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Local.Api;

/// <summary>
/// A route object's <c>status.parents[]</c> as the API server holds it, read back into a <see cref="RouteStatus"/>:
/// the entries of one controller (others' are not Weft's to judge), with the route's <c>metadata.generation</c>.
/// Missing fields read as the API's defaults (a parentRef's group and kind; a condition's empty reason and message).
/// </summary>
internal static class RouteStatusReader
{
    /// <summary>The status entries of <paramref name="controllerName"/> of every route the API server holds (kinds it does not serve skipped).</summary>
    public static async Task<IReadOnlyList<RouteStatus>> ReadAllAsync(IKubernetes client, string controllerName, CancellationToken ct)
    {
        var statuses = new List<RouteStatus>();
        foreach (var resource in KubeResource.Routes)
        {
            try
            {
                statuses.AddRange((await resource.ListAllAsync(client, ct)).Select(route => Read(route, controllerName)));
            }
            catch (Exception e) when (KubeErrors.IsNotServed(e))
            {
            }
        }

        return statuses;
    }

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

            var p = entry["parentRef"] as JsonObject ?? [];
            var parentRef = new ParentReference
            {
                Group = p["group"].Text() ?? GatewayApi.Group,
                Kind = p["kind"].Text() ?? "Gateway",
                Namespace = p["namespace"].Text(),
                Name = p["name"].Text() ?? "",
                SectionName = p["sectionName"].Text(),
                Port = p["port"].Int(),
            };
            var conditions = (entry["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new RouteCondition(
                c["type"].Text() ?? "", c["status"].Text() ?? "", c["reason"].Text() ?? "", c["message"].Text() ?? "",
                c["observedGeneration"].Long() ?? 0)).ToList();
            parents.Add(new RouteParentStatus(parentRef, controllerName, conditions));
        }

        return new RouteStatus(
            route["kind"].Text() ?? "", meta?["namespace"].Text() ?? "", meta?["name"].Text() ?? "", meta?["generation"].Long() ?? 1, parents);
    }
}
