using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>HTTPRoute: gamma-spec L, the G2 filter CEL, timeouts (I), retry (J), and the experimental CRD's messages.</summary>
internal static partial class CrdValidator
{
    private static readonly string[] PathTypes = [PathMatchType.Exact, PathMatchType.PathPrefix, PathMatchType.RegularExpression];
    private static readonly string[] MatchTypes = [HeaderMatchType.Exact, HeaderMatchType.RegularExpression];

    private static void HttpRoute(FieldErrors errors, HttpRoute route)
    {
        var spec = route.Spec;
        ParentRefs(errors, spec.ParentRefs);
        Hostnames(errors, spec.Hostnames, 16);
        errors.MinItems("spec.rules", spec.Rules, 1);
        errors.MaxItems("spec.rules", spec.Rules, 16);
        TotalMatches(errors, spec.Rules.Sum(r => r.Matches.Count));
        RuleNames(errors, [.. spec.Rules.Select(r => r.Name)]);
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            HttpRule(errors, $"spec.rules[{i}]", spec.Rules[i]);
        }
    }

    private static void HttpRule(FieldErrors errors, string path, HttpRouteRule rule)
    {
        errors.MaxItems($"{path}.matches", rule.Matches, 64);
        for (var i = 0; i < rule.Matches.Count; i++)
        {
            HttpMatch(errors, $"{path}.matches[{i}]", rule.Matches[i]);
        }

        Filters(errors, $"{path}.filters", rule.Filters, grpc: false);
        errors.MaxItems($"{path}.backendRefs", rule.BackendRefs, 16);
        for (var i = 0; i < rule.BackendRefs.Count; i++)
        {
            var b = rule.BackendRefs[i];
            BackendRef(errors, $"{path}.backendRefs[{i}]", b);
            Filters(errors, $"{path}.backendRefs[{i}].filters", b.Filters, grpc: false);
        }

        // G2: a redirect answers the request itself, so it cannot be combined with backends.
        if (rule.RedirectsWithBackends())
        {
            errors.Rule(path, "RequestRedirect filter must not be used together with backendRefs",
                "remove the backendRefs from this rule, or move the redirect to a rule without backendRefs");
        }

        // G2: ReplacePrefixMatch rewrites the matched prefix, so the rule must have exactly one PathPrefix match.
        var onePrefixMatch = rule.Matches.Count == 1 && rule.Matches[0].Path.Type == PathMatchType.PathPrefix;
        if (!onePrefixMatch)
        {
            const string fix = "give the rule exactly one match, with path type PathPrefix, or use ReplaceFullPath";
            if (rule.Filters.Any(f => IsReplacePrefix(f.RequestRedirect?.Path)))
            {
                errors.Rule(path, "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", fix);
            }

            if (rule.Filters.Any(f => IsReplacePrefix(f.UrlRewrite?.Path)))
            {
                errors.Rule(path, "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", fix);
            }

            if (rule.BackendRefs.Any(b => b.Filters.Any(f => IsReplacePrefix(f.RequestRedirect?.Path))))
            {
                errors.Rule(path, "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", fix);
            }

            if (rule.BackendRefs.Any(b => b.Filters.Any(f => IsReplacePrefix(f.UrlRewrite?.Path))))
            {
                errors.Rule(path, "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", fix);
            }
        }

        if (rule.Timeouts is { } timeouts)
        {
            Timeouts(errors, $"{path}.timeouts", timeouts);
        }

        if (rule.Retry is { } retry)
        {
            Retry(errors, $"{path}.retry", retry);
        }
    }

    private static bool IsReplacePrefix(HttpPathModifier? p) =>
        p is { Type: PathModifierType.ReplacePrefixMatch, ReplacePrefixMatch: not null };

    private static void HttpMatch(FieldErrors errors, string path, HttpRouteMatch match)
    {
        PathMatch(errors, $"{path}.path", match.Path);
        HeaderMatches(errors, $"{path}.headers", match.Headers);
        errors.MaxItems($"{path}.queryParams", match.QueryParams, 16);
        for (var i = 0; i < match.QueryParams.Count; i++)
        {
            var q = match.QueryParams[i];
            var item = $"{path}.queryParams[{i}]";
            errors.String($"{item}.name", q.Name, 1, 256, Patterns.HeaderName);
            errors.Enum($"{item}.type", q.Type, MatchTypes);
            errors.String($"{item}.value", q.Value, 1, 1024);
        }

        DuplicateNames(errors, $"{path}.queryParams", match.QueryParams.Select(q => q.Name).ToList(), "query parameter");
        errors.Enum($"{path}.method", match.Method, HttpRouteMethod.All);
    }

    /// <summary>HTTPPathMatch CEL (gamma-spec L "Path match value").</summary>
    private static void PathMatch(FieldErrors errors, string path, HttpPathMatch p)
    {
        if (!PathTypes.Contains(p.Type, StringComparer.Ordinal))
        {
            errors.Unsupported($"{path}.type", p.Type, PathTypes);
            errors.Rule(path, "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']", "use Exact, PathPrefix or RegularExpression");
        }

        errors.String($"{path}.value", p.Value, 0, 1024);
        if (p.Type is not (PathMatchType.Exact or PathMatchType.PathPrefix))
        {
            return;
        }

        const string suffix = " when type one of ['Exact', 'PathPrefix']";
        var v = p.Value;
        if (!v.StartsWith('/'))
        {
            errors.Rule(path, "value must be an absolute path and start with '/'" + suffix, $"write the path as /{v}");
        }

        foreach (var bad in (string[])["//", "/./", "/../", "%2f", "%2F", "#"])
        {
            if (v.Contains(bad, StringComparison.Ordinal))
            {
                errors.Rule(path, $"must not contain '{bad}'" + suffix, "use a normalised path; use type RegularExpression if you really need this");
            }
        }

        foreach (var bad in (string[])["/..", "/."])
        {
            if (v.EndsWith(bad, StringComparison.Ordinal))
            {
                errors.Rule(path, $"must not end with '{bad}'" + suffix, "use a normalised path without dot segments");
            }
        }

        if (!Patterns.PathValue.IsMatch(v))
        {
            errors.Rule(path, "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
                Patterns.PathValue.Hint);
        }
    }

    /// <summary>HTTPHeaderMatch / GRPCHeaderMatch: ≤16, listType=map keyed by name.</summary>
    private static void HeaderMatches(FieldErrors errors, string path, IReadOnlyList<HttpHeaderMatch> headers)
    {
        errors.MaxItems(path, headers, 16);
        for (var i = 0; i < headers.Count; i++)
        {
            var h = headers[i];
            var item = $"{path}[{i}]";
            errors.String($"{item}.name", h.Name, 1, 256, Patterns.HeaderName);
            errors.Enum($"{item}.type", h.Type, MatchTypes);
            errors.String($"{item}.value", h.Value, 1, 4096, Patterns.HeaderValue);
        }

        DuplicateNames(errors, path, headers.Select(h => h.Name).ToList(), "header");
    }

    /// <summary>listType=map keyed by name: kubectl says <c>Duplicate value: map[string]interface {}{"name":"x"}</c>.</summary>
    private static void DuplicateNames(FieldErrors errors, string path, List<string> names, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (!seen.Add(names[i]))
            {
                errors.Duplicate($"{path}[{i}]", $"map[string]interface {{}}{{\"name\":{FieldErrors.Quote(names[i])}}}",
                    $"the {what} \"{names[i]}\" is listed twice; keep one entry per name");
            }
        }
    }

    /// <summary>GEP-1742 timeouts: Duration format and "backendRequest ≤ request unless request is 0s".</summary>
    private static void Timeouts(FieldErrors errors, string path, HttpRouteTimeouts t)
    {
        var requestOk = errors.String($"{path}.request", t.Request, 0, int.MaxValue, Patterns.Duration);
        var backendOk = errors.String($"{path}.backendRequest", t.BackendRequest, 0, int.MaxValue, Patterns.Duration);
        if (requestOk && backendOk && t.Request is { } request && t.BackendRequest is { } backend)
        {
            var r = Patterns.ParseDuration(request);
            if (r != TimeSpan.Zero && Patterns.ParseDuration(backend) > r)
            {
                errors.Rule(path, "backendRequest timeout cannot be longer than request timeout",
                    $"make backendRequest at most {request}, or raise request (0s disables it)");
            }
        }
    }

    /// <summary>GEP-1731 retry (experimental): codes 400..599 and unique, attempts ≥ 1, backoff a Duration.</summary>
    private static void Retry(FieldErrors errors, string path, HttpRouteRetry retry)
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < retry.Codes.Count; i++)
        {
            errors.Range($"{path}.codes[{i}]", retry.Codes[i], 400, 599);
            if (!seen.Add(retry.Codes[i]))
            {
                errors.Duplicate($"{path}.codes[{i}]", retry.Codes[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "list each status code once");
            }
        }

        errors.Minimum($"{path}.attempts", retry.Attempts, 1);
        errors.String($"{path}.backoff", retry.Backoff, 0, int.MaxValue, Patterns.Duration);
    }
}
