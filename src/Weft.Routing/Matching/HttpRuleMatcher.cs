using System.Text.RegularExpressions;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Matching;

/// <summary>One compiled HTTP (rule, match) entry: the conditions ANDed within an HTTPRouteMatch (gamma-spec E7).</summary>
internal sealed class HttpRuleMatcher
{
    public HttpRuleMatcher(MatchPolicy match, int index)
    {
        var what = $"rule {index}";
        PathType = match.PathType ?? PathMatchType.PathPrefix;
        var value = match.PathValue ?? "/";
        switch (PathType)
        {
            case PathMatchType.Exact:
                RequireAbsolute(value, what);
                PathValue = value;
                break;
            case PathMatchType.PathPrefix:
                RequireAbsolute(value, what);
                PathValue = NormalizePrefix(value);
                break;
            case PathMatchType.RegularExpression:
                PathValue = value;
                PathRegex = ValueMatcher.CompileRegex(value, $"{what} path");
                break;
            default:
                throw new RouteTableException($"{what}: path match type \"{PathType}\" is not supported (Exact, PathPrefix, RegularExpression)");
        }

        Method = string.IsNullOrEmpty(match.Method) ? null : match.Method;
        Headers = ValueMatcher.Compile(match.Headers, StringComparer.OrdinalIgnoreCase, $"{what} header");
        QueryParams = ValueMatcher.Compile(match.QueryParams, StringComparer.Ordinal, $"{what} query parameter");
    }

    public string PathType { get; }

    /// <summary>For PathPrefix: without its trailing "/" (E3), "" for the root prefix.</summary>
    public string PathValue { get; }
    public Regex? PathRegex { get; }
    public string? Method { get; }
    public ValueMatcher[] Headers { get; }
    public ValueMatcher[] QueryParams { get; }

    /// <summary>E3: a trailing "/" in a prefix is ignored; "/" itself becomes "" (matches every absolute path).</summary>
    public static string NormalizePrefix(string prefix) => prefix.TrimEnd('/');

    /// <summary>E3: case-sensitive, element-wise prefix match.</summary>
    public static bool PrefixMatches(string normalizedPrefix, ReadOnlySpan<char> path) =>
        path.StartsWith(normalizedPrefix, StringComparison.Ordinal)
        && (path.Length == normalizedPrefix.Length || path[normalizedPrefix.Length] == '/')
        && (path.Length > 0 && path[0] == '/');

    public bool PathMatches(string path) => PathType switch
    {
        PathMatchType.Exact => string.Equals(path, PathValue, StringComparison.Ordinal),
        PathMatchType.PathPrefix => PrefixMatches(PathValue, path),
        _ => PathRegex!.IsMatch(path),
    };

    /// <summary>Everything but the path (which the table's index has already checked).</summary>
    public bool OthersMatch<THeaders>(string method, string? query, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        if (Method is not null && !string.Equals(Method, method, StringComparison.Ordinal))
        {
            return false;
        }

        if (!ValueMatcher.HeadersMatch(Headers, headers))
        {
            return false;
        }

        var qs = QueryParams;
        for (var i = 0; i < qs.Length; i++)
        {
            if (!QueryString.Matches(query, qs[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static void RequireAbsolute(string value, string what)
    {
        if (value.Length == 0 || value[0] != '/')
        {
            throw new RouteTableException($"{what}: path \"{value}\" must start with \"/\"");
        }
    }
}
