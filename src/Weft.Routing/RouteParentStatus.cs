using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>One <c>status.parents[]</c> entry: the parentRef copied from the spec, Weft's controller name, the conditions.</summary>
public sealed record RouteParentStatus(ParentReference ParentRef, string ControllerName, IReadOnlyList<RouteCondition> Conditions)
{
    public RouteCondition? Condition(string type)
    {
        foreach (var c in Conditions)
        {
            if (c.Type == type)
            {
                return c;
            }
        }

        return null;
    }
}
