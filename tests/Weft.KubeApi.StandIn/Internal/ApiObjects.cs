using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>Shapes a stored object for the version it is read at.</summary>
internal static class ApiObjects
{
    /// <summary>
    /// A copy with <c>apiVersion</c> set to the requested version. No conversion happens: every served version of a CRD
    /// reads the same fields (a simplification: the real server converts through the storage version, and the Gateway API
    /// versions share one schema anyway).
    /// </summary>
    public static JsonObject AtVersion(JsonObject stored, ResourceType type, string version)
    {
        var copy = new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion(version),
        };
        foreach (var (key, value) in stored)
        {
            if (key is not ("kind" or "apiVersion"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    /// <summary>An item of a list: built-in lists carry no kind/apiVersion on items (typed Go lists drop TypeMeta); CRD lists do.</summary>
    public static JsonObject ListItem(JsonObject stored, ResourceType type, string version)
    {
        var item = AtVersion(stored, type, version);
        if (!type.IsCustom)
        {
            item.Remove("kind");
            item.Remove("apiVersion");
        }

        return item;
    }
}
