using Weft.Api.Model;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing.Authorization;

/// <summary>
/// One compiled <see cref="AuthorizationRulePolicy"/>: its parts ANDed, each list any-of (empty = any), with the decision
/// it makes built once so that deciding allocates nothing.
/// </summary>
internal sealed class AuthorizationRuleMatcher
{
    private readonly AuthorizationSourceMatcher[]? _sources;
    private readonly int[] _ports;
    private readonly string[] _methods;
    private readonly HttpRuleMatcher[] _paths;
    private readonly ValueMatcher[] _headers;
    private readonly string? _grpcService;
    private readonly string? _grpcMethod;

    public AuthorizationRuleMatcher(AuthorizationRulePolicy rule, string trustDomain, string what, AuthorizationDecision decision)
    {
        Index = rule.Index;
        Decision = decision;
        HasL7 = rule.HasL7;
        if (rule.Sources is { } sources)
        {
            _sources = new AuthorizationSourceMatcher[sources.Count];
            for (var i = 0; i < sources.Count; i++)
            {
                _sources[i] = AuthorizationSourceMatcher.Compile(sources[i], trustDomain, $"{what} sources[{i}]");
            }
        }

        _ports = [.. rule.Ports];
        _methods = [.. rule.Methods];
        foreach (var m in _methods)
        {
            if (string.IsNullOrEmpty(m))
            {
                throw new RouteTableException($"{what} has an empty HTTP method");
            }
        }

        _paths = new HttpRuleMatcher[rule.Paths.Count];
        for (var i = 0; i < _paths.Length; i++)
        {
            var p = rule.Paths[i];
            _paths[i] = Rethrow(what, () => new HttpRuleMatcher(new MatchPolicy { PathType = p.Type, PathValue = p.Value }, rule.Index));
        }

        // Every header entry must match (as in an HTTPRoute match); each is compiled alone to be tried on its own.
        _headers = new ValueMatcher[rule.Headers.Count];
        for (var i = 0; i < _headers.Length; i++)
        {
            _headers[i] = ValueMatcher.Compile([rule.Headers[i]], StringComparer.OrdinalIgnoreCase, $"{what} header")[0];
        }

        _grpcService = string.IsNullOrEmpty(rule.GrpcService) ? null : rule.GrpcService;
        _grpcMethod = string.IsNullOrEmpty(rule.GrpcMethod) ? null : rule.GrpcMethod;
    }

    public int Index { get; }

    /// <summary>What this rule decides when it matches (allowed or denied by its policy, naming the rule).</summary>
    public AuthorizationDecision Decision { get; }

    public bool HasL7 { get; }

    /// <summary>
    /// Whether the rule matches. <paramref name="deny"/> says whether it is a DENY policy's: on an L4 connection a DENY
    /// rule's HTTP and gRPC conditions are ignored and it matches on the others (fail safe, as Istio does), while an ALLOW
    /// rule with such conditions never matches.
    /// </summary>
    public bool IsMatch<THeaders>(in AuthorizationInput input, bool deny, in THeaders headers)
        where THeaders : IHeaderLookup
    {
        if (!SourceMatches(input.Identity) || !PortMatches(_ports, input.Port))
        {
            return false;
        }

        if (!HasL7)
        {
            return true;
        }

        if (!input.IsL7)
        {
            return deny;
        }

        return MethodMatches(input.Method!) && PathMatches(input) && HeaderMatches(headers, deny) && GrpcMatches(input);
    }

    public static bool PortMatches(int[] ports, int port)
    {
        if (ports.Length == 0)
        {
            return true;
        }

        for (var i = 0; i < ports.Length; i++)
        {
            if (ports[i] == port)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gamma-spec E3 on a path without its query: Exact, element-wise PathPrefix, or an anchored regex.</summary>
    public static bool PathMatches(HttpRuleMatcher m, ReadOnlySpan<char> path) => m.PathType switch
    {
        PathMatchType.Exact => path.SequenceEqual(m.PathValue),
        PathMatchType.PathPrefix => HttpRuleMatcher.PrefixMatches(m.PathValue, path),
        _ => m.PathRegex!.IsMatch(path),
    };

    private bool SourceMatches(string? identity)
    {
        var sources = _sources;
        if (sources is null)
        {
            return true;
        }

        if (identity is null)
        {
            return false;
        }

        for (var i = 0; i < sources.Length; i++)
        {
            if (sources[i].IsMatch(identity))
            {
                return true;
            }
        }

        return false;
    }

    private bool MethodMatches(string method)
    {
        var methods = _methods;
        if (methods.Length == 0)
        {
            return true;
        }

        for (var i = 0; i < methods.Length; i++)
        {
            // Apps and frameworks read methods case-insensitively (ASP.NET Core routing does): so does a rule, lest
            // "post" slip past a DENY for POST.
            if (string.Equals(methods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private bool PathMatches(in AuthorizationInput input)
    {
        var paths = _paths;
        if (paths.Length == 0)
        {
            return true;
        }

        if (!input.HasPath)
        {
            return false;
        }

        var path = input.Path;
        for (var i = 0; i < paths.Length; i++)
        {
            if (PathMatches(paths[i], path))
            {
                return true;
            }
        }

        return false;
    }

    private bool HeaderMatches<THeaders>(in THeaders headers, bool deny)
        where THeaders : IHeaderLookup
    {
        var matchers = _headers;
        if (matchers.Length == 0)
        {
            return true;
        }

        // Every header must match, as in an HTTPRoute match (gamma-spec E7): a request carries many headers.
        for (var i = 0; i < matchers.Length; i++)
        {
            var m = matchers[i];
            if (!headers.TryGetValue(m.Name, out var actual) || actual is null || !(m.IsMatch(actual) || (deny && AnyElementMatches(m, actual))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// For a DENY rule: a header sent more than once arrives comma-joined ("red, red"), which an Exact "red" would not
    /// match, and an app may read any one of the values; so a DENY header condition also matches any single value.
    /// </summary>
    private static bool AnyElementMatches(ValueMatcher m, string joined)
    {
        if (!joined.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var element in joined.Split(',', StringSplitOptions.TrimEntries))
        {
            if (m.IsMatch(element))
            {
                return true;
            }
        }

        return false;
    }

    private bool GrpcMatches(in AuthorizationInput input)
    {
        if (_grpcService is null && _grpcMethod is null)
        {
            return true;
        }

        if (!input.IsGrpc || !RouteTable.TrySplitGrpcPath(input.Path, out var service, out var method))
        {
            return false;
        }

        return (_grpcService is null || service.SequenceEqual(_grpcService)) && (_grpcMethod is null || method.SequenceEqual(_grpcMethod));
    }

    private static T Rethrow<T>(string what, Func<T> build)
    {
        try
        {
            return build();
        }
        catch (RouteTableException e)
        {
            throw new RouteTableException($"{what}: {e.Message}", e);
        }
    }
}
