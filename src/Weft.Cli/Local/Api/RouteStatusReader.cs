using System.Text.Json.Nodes;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Cli.Local.Api;

/// <summary>
/// A route object's <c>status.parents[]</c> as the API server holds it, read back into a <see cref="RouteStatus"/>:
/// the entries of one controller (others' are not Weft's to judge), with the route's <c>metadata.generation</c>.
/// Missing fields read as the API's defaults (a parentRef's group and kind; a condition's empty reason and message).
/// </summary>
internal static class RouteStatusReader
{
    public static RouteStatus Read(JsonObject route, string controllerName)
    {
        ArgumentNullException.ThrowIfNull(route);
        var meta = route["metadata"] as JsonObject;
        var parents = new List<RouteParentStatus>();
        foreach (var entry in (route["status"]?["parents"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Text(entry["controllerName"]) != controllerName)
            {
                continue;
            }

            var p = entry["parentRef"] as JsonObject ?? [];
            var parentRef = new ParentReference
            {
                Group = Text(p["group"]) ?? GatewayApi.Group,
                Kind = Text(p["kind"]) ?? "Gateway",
                Namespace = Text(p["namespace"]),
                Name = Text(p["name"]) ?? "",
                SectionName = Text(p["sectionName"]),
                Port = p["port"]?.GetValue<int>(),
            };
            var conditions = (entry["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new RouteCondition(
                Text(c["type"]) ?? "", Text(c["status"]) ?? "", Text(c["reason"]) ?? "", Text(c["message"]) ?? "",
                c["observedGeneration"]?.GetValue<long>() ?? 0)).ToList();
            parents.Add(new RouteParentStatus(parentRef, controllerName, conditions));
        }

        return new RouteStatus(
            Text(route["kind"]) ?? "", Text(meta?["namespace"]) ?? "", Text(meta?["name"]) ?? "", meta?["generation"]?.GetValue<long>() ?? 1, parents);
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
