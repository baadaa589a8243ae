using System.Text.RegularExpressions;

namespace Weft.Routing.Internal;

/// <summary>
/// The one regular-expression dialect of Weft (gamma-spec E3/E4, implementation-specific): .NET <see cref="Regex"/>,
/// anchored at both ends (\A...\z), culture-invariant. Patterns the linear-time engine accepts run on it (no catastrophic
/// backtracking on a proxy's hot path); the rest (backreferences, lookarounds) fall back to the compiled backtracking engine.
/// </summary>
internal static class RouteRegex
{
    public static Regex Create(string pattern)
    {
        var anchored = $@"\A(?:{pattern})\z";
        try
        {
            return new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
    }

    /// <summary>Null when the pattern compiles, else why not (for status messages).</summary>
    public static string? Validate(string pattern)
    {
        try
        {
            _ = Create(pattern);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
