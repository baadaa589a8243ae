using System.Text.RegularExpressions;

namespace Weft.Api.Validation;

/// <summary>
/// The one regular-expression dialect of Weft, for route matches (gamma-spec E3/E4, implementation-specific) and
/// AuthorizationPolicy matches alike: .NET <see cref="Regex"/>, anchored at both ends (\A...\z), culture-invariant, run
/// by the linear-time engine (<see cref="RegexOptions.NonBacktracking"/>) and nothing else. A pattern that engine
/// cannot run (lookarounds, backreferences, atomic groups, conditionals) is refused, as an invalid one is: a route's
/// rule is reported (<c>UnsupportedValue</c>) and dropped, a policy fails validation, and a sidecar handed one refuses
/// the policy. No request can then cost the proxy more than time linear in its length (issue 15:
/// <c>(?=(a+)+$)a*</c> against 26 'a's and a '!' took 1.5 s on the backtracking engine), and no match needs a timeout
/// that would fail requests at random under load.
/// </summary>
public static class RegexDialect
{
    /// <summary>The compiled pattern.</summary>
    /// <exception cref="ArgumentException">The pattern is not valid .NET syntax, or uses what the linear-time engine lacks.</exception>
    public static Regex Create(string pattern)
    {
        var anchored = $@"\A(?:{pattern})\z";
        try
        {
            return new Regex(anchored, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException e)
        {
            // The pattern is valid .NET syntax the linear-time engine does not take: say which construct, for the status.
            throw new ArgumentException($"Weft runs regular expressions on the linear-time engine only, which has no lookarounds, backreferences, atomic groups or conditionals: {e.Message}", e);
        }
    }

    /// <summary>Null when the pattern compiles, else why not (for status messages and validation errors).</summary>
    public static string? Problem(string pattern)
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
