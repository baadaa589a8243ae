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
        foreach (var h in policy.Set)
        {
            editor.Set(h.Name, h.Value);
        }

        foreach (var h in policy.Add)
        {
            editor.Append(h.Name, h.Value);
        }

        foreach (var name in policy.Remove)
        {
            editor.Remove(name);
        }
    }
}
