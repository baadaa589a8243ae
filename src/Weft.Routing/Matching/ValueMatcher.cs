using System.Text.RegularExpressions;
using Weft.Api.Model;
using Weft.Api.Validation;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing.Matching;

/// <summary>One header or query-parameter condition: Exact (case-sensitive) or an anchored regex, compiled once (gamma-spec E4/E5).</summary>
internal sealed class ValueMatcher
{
    private ValueMatcher(string name, string value, Regex? regex)
    {
        Name = name;
        Value = value;
        Regex = regex;
        ValueUtf8 = System.Text.Encoding.UTF8.GetBytes(value);
    }

    public string Name { get; }
    public string Value { get; }
    public Regex? Regex { get; }

    /// <summary>For comparing a percent-encoded query value without allocating.</summary>
    public byte[] ValueUtf8 { get; }

    public bool IsMatch(ReadOnlySpan<char> actual) =>
        Regex is null ? actual.SequenceEqual(Value) : Regex.IsMatch(actual);

    /// <summary>Every header condition holds (E4: a missing header fails its condition).</summary>
    public static bool HeadersMatch<THeaders>(ValueMatcher[] matchers, in THeaders headers)
        where THeaders : IHeaderLookup, allows ref struct
    {
        for (var i = 0; i < matchers.Length; i++)
        {
            var m = matchers[i];
            if (!headers.TryGetValue(m.Name, out var actual) || actual is null || !m.IsMatch(actual))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Builds the matchers of one match entry; for repeated names only the first entry counts (E4/E5).</summary>
    public static ValueMatcher[] Compile(IReadOnlyList<ValueMatchPolicy> entries, StringComparer nameComparer, string what)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        var seen = new HashSet<string>(nameComparer);
        var result = new List<ValueMatcher>(entries.Count);
        foreach (var e in entries)
        {
            if (string.IsNullOrEmpty(e.Name))
            {
                throw new RouteTableException($"{what} match with an empty name");
            }

            if (!seen.Add(e.Name))
            {
                continue;
            }

            Regex? regex = e.Type switch
            {
                HeaderMatchType.Exact => null,
                HeaderMatchType.RegularExpression => CompileRegex(e.Value, what),
                _ => throw new RouteTableException($"{what} match type \"{e.Type}\" is not supported (Exact, RegularExpression)"),
            };
            result.Add(new ValueMatcher(e.Name, e.Value ?? "", regex));
        }

        return [.. result];
    }

    public static Regex CompileRegex(string? pattern, string what)
    {
        if (pattern is null)
        {
            throw new RouteTableException($"{what} regular expression is missing");
        }

        try
        {
            return RegexDialect.Create(pattern);
        }
        catch (ArgumentException e)
        {
            throw new RouteTableException($"{what} regular expression \"{pattern}\" does not compile: {e.Message}", e);
        }
    }
}
