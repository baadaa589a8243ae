using Weft.Routing.Policy;

namespace Weft.Routing.Filters;

/// <summary>URLRewrite / RequestRedirect path modifiers (gamma-spec G6, G7).</summary>
public static class PathRewrite
{
    public const string ReplaceFullPath = "ReplaceFullPath";
    public const string ReplacePrefixMatch = "ReplacePrefixMatch";

    /// <summary>
    /// The rewritten path. ReplaceFullPath returns the value; ReplacePrefixMatch swaps the matched PathPrefix for the
    /// replacement element-wise (G7 table: trailing "/" on either side ignored, an empty result becomes "/").
    /// A path the prefix does not match (element-wise) is returned unchanged.
    /// </summary>
    public static string Apply(PathModifierPolicy modifier, string path)
    {
        ArgumentNullException.ThrowIfNull(modifier);
        ArgumentNullException.ThrowIfNull(path);
        switch (modifier.Type)
        {
            case ReplaceFullPath:
                return modifier.Value;
            case ReplacePrefixMatch:
                var prefix = (modifier.MatchedPrefix ?? "/").TrimEnd('/');
                if (!path.StartsWith(prefix, StringComparison.Ordinal) || (path.Length > prefix.Length && path[prefix.Length] != '/'))
                {
                    return path;
                }

                var result = string.Concat(modifier.Value.AsSpan().TrimEnd('/'), path.AsSpan(prefix.Length));
                return result.Length == 0 ? "/" : result[0] == '/' ? result : "/" + result;
            default:
                throw new ArgumentException($"unknown path modifier type \"{modifier.Type}\"", nameof(modifier));
        }
    }
}
