using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// A skeleton of <c>/openapi/v3</c>: the root lists every group version, and each group version's document has, per
/// resource, the PATCH operation with its <c>fieldValidation</c> parameter and <c>x-kubernetes-group-version-kind</c>,
/// and nothing else (no schemas). That is what kubectl reads to decide that the server validates fields itself, so
/// plain <c>kubectl apply</c> works without client-side schema validation; with no request body media types listed,
/// kubectl builds apply patches from its compiled-in types (built-ins) or as JSON merge patches (custom resources),
/// as it does against a server without OpenAPI. <c>/openapi/v2</c> is not served (404).
/// </summary>
internal static class OpenApiDocuments
{
    public static JsonObject Root(ResourceCatalog catalog)
    {
        var paths = new JsonObject();
        foreach (var gv in GroupVersions(catalog))
        {
            var path = gv.Group.Length == 0 ? "api/" + gv.Version : $"apis/{gv.Group}/{gv.Version}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash=0" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? GroupVersion(ResourceCatalog catalog, string group, string version)
    {
        var types = catalog.InGroupVersion(group, version).Where(t => !t.CreateOnly).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        foreach (var type in types)
        {
            var prefix = group.Length == 0 ? "/api/" + version : $"/apis/{group}/{version}";
            var path = type.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{type.Plural}/{{name}}" : $"{prefix}/{type.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = "patch" + type.Kind,
                    ["parameters"] = new JsonArray(
                        new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                        new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = type.Kind },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = DiscoveryDocuments.GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static IEnumerable<(string Group, string Version)> GroupVersions(ResourceCatalog catalog) =>
        catalog.All.Where(t => !t.CreateOnly).SelectMany(t => t.Versions.Select(v => (t.Group, v))).Distinct();
}
