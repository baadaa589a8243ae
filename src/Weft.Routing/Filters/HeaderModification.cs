using Weft.Routing.Policy;

namespace Weft.Routing.Filters;

/// <summary>RequestHeaderModifier / ResponseHeaderModifier (gamma-spec G4).</summary>
public static class HeaderModification
{
    /// <summary>G4: <c>set</c> overwrites, <c>add</c> appends to existing values, <c>remove</c> deletes; names case-insensitive.</summary>
    public static void Apply(HeaderModifierPolicy policy, IHeaderEditor editor)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(editor);
        // Indexed loops: foreach over IReadOnlyList boxes an enumerator per list, three allocations per request.
        var set = policy.Set;
        for (var i = 0; i < set.Count; i++)
        {
            editor.Set(set[i].Name, set[i].Value);
        }

        var add = policy.Add;
        for (var i = 0; i < add.Count; i++)
        {
            editor.Append(add[i].Name, add[i].Value);
        }

        var remove = policy.Remove;
        for (var i = 0; i < remove.Count; i++)
        {
            editor.Remove(remove[i]);
        }
    }
}
