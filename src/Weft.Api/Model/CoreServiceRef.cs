namespace Weft.Api.Model;

/// <summary>
/// A route's reference to a core Service: a parentRef that makes it a mesh route (gamma-spec A1) or a backendRef Weft can
/// route to (F1). Group <c>""</c> and kind <c>Service</c>, which are also a backendRef's defaults (F1); Weft takes the
/// <c>core</c> group as an alias (A1 interp.), as the mesh overview's example writes it.
/// </summary>
public static class CoreServiceRef
{
    /// <summary>The core API group, as the Gateway API writes it (and as a backendRef defaults to).</summary>
    public const string Group = "";

    public const string Kind = "Service";

    /// <summary>The core group: <c>""</c>, or the <c>core</c> alias.</summary>
    public static bool IsCoreGroup(string group) => group is Group or "core";

    /// <summary>Whether <paramref name="group"/> and <paramref name="kind"/> name a core Service.</summary>
    public static bool Is(string group, string kind) => IsCoreGroup(group) && kind == Kind;
}
