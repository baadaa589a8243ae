using System.Globalization;
using Weft.Api.Model;
using Weft.Api.Validation;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing.Internal;

/// <summary>
/// Validates a route and compiles its rules into policy pieces. A rule with an unknown enum value or an unsupported
/// filter is dropped with UnsupportedValue (gamma-spec E8, H2); an impossible filter combination with IncompatibleFilters
/// (G2). Backends are resolved here (F1-F6): they do not depend on the parent or the client.
/// </summary>
internal sealed class RouteAnalyzer
{
    private readonly MeshIndex _index;
    private readonly Route _route;
    private readonly RouteType _type;
    private readonly List<Problem> _backendProblems = [];
    private readonly HashSet<XBackend> _xbackends = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _endpointServices = [];
    private readonly List<string> _serviceRefs = [];
    private readonly SpecPath _path = new();

    private RouteAnalyzer(MeshIndex index, Route route, RouteType type)
    {
        _index = index;
        _route = route;
        _type = type;
    }

    public static AnalyzedRoute? Analyze(MeshIndex index, Route route)
    {
        switch (route)
        {
            case HttpRoute http:
                return new RouteAnalyzer(index, route, RouteType.Http).Http(http);
            case GrpcRoute grpc:
                return new RouteAnalyzer(index, route, RouteType.Grpc).Grpc(grpc);
            case TcpRoute tcp:
                return new RouteAnalyzer(index, route, RouteType.Tcp).L4(tcp.Spec.Rules, []);
            case TlsRoute tls:
                return new RouteAnalyzer(index, route, RouteType.Tls).L4(tls.Spec.Rules, tls.Spec.Hostnames);
            default:
                return null;
        }
    }

    private AnalyzedRoute Http(HttpRoute route)
    {
        // E3: a route without rules gets one rule matching PathPrefix "/".
        var rules = route.Spec.Rules.Count == 0 ? [new HttpRouteRule()] : route.Spec.Rules;
        return Rules(rules, HttpRule);
    }

    private AnalyzedRoute Grpc(GrpcRoute route)
    {
        var rules = route.Spec.Rules.Count == 0 ? [new GrpcRouteRule()] : route.Spec.Rules;
        return Rules(rules, GrpcRule);
    }

    private AnalyzedRoute Rules<TRule>(IReadOnlyList<TRule> rules, Func<TRule, int, AnalyzedRule> analyze)
    {
        var analyzed = new List<AnalyzedRule>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            analyzed.Add(analyze(rules[i], i));
        }

        return Done(analyzed, null);
    }

    private AnalyzedRule HttpRule(HttpRouteRule rule, int i)
    {
        using var scope = EnterRule(rule.Name, i);
        var problems = new List<Problem>();

        // E3: a rule without matches gets [{path: PathPrefix "/"}]; C4: it matches everything.
        var matches = rule.Matches.Count == 0 ? [new HttpRouteMatch()] : rule.Matches;
        var matchPolicies = MatchPolicies(matches, static (analyzer, m, found) => analyzer.HttpMatch(m, found), problems);
        var filters = Filters(rule.Filters, matchPolicies, problems);
        var backends = Backends(rule.BackendRefs, matchPolicies, problems);
        if (rule.RedirectsWithBackends())
        {
            problems.Add(new(RouteConditions.IncompatibleFilters,
                $"{_path} has a RequestRedirect filter and backendRefs; a redirecting rule sends no traffic to backends (gamma-spec G2). Remove the backendRefs or the redirect."));
        }

        var timeouts = Timeouts(rule.Timeouts, problems);
        var retry = Retry(rule.Retry, problems);
        return new AnalyzedRule
        {
            Index = i,
            Name = rule.Name,
            Problem = First(problems),
            Matches = matchPolicies,
            Filters = filters,
            Backends = backends,
            Timeouts = timeouts,
            Retry = retry,
        };
    }

    private AnalyzedRule GrpcRule(GrpcRouteRule rule, int i)
    {
        using var scope = EnterRule(rule.Name, i);
        var problems = new List<Problem>();

        // K1: no matches means every gRPC request matches.
        var matches = rule.Matches.Count == 0 ? [new GrpcRouteMatch()] : rule.Matches;
        var matchPolicies = MatchPolicies(matches, static (analyzer, m, found) => analyzer.GrpcMatch(m, found), problems);
        var filters = Filters(rule.Filters, matchPolicies, problems);
        var backends = Backends(rule.BackendRefs, matchPolicies, problems);
        var retry = GrpcRetry(_route.Metadata.Annotations, problems);
        return new AnalyzedRule
        {
            Index = i,
            Name = rule.Name,
            Problem = First(problems),
            Matches = matchPolicies,
            Filters = filters,
            Backends = backends,
            Retry = retry,
        };
    }

    private List<MatchPolicy> MatchPolicies<TMatch>(
        IReadOnlyList<TMatch> matches, Func<RouteAnalyzer, TMatch, List<Problem>, MatchPolicy> analyze, List<Problem> problems)
    {
        var result = new List<MatchPolicy>(matches.Count);
        for (var j = 0; j < matches.Count; j++)
        {
            using var scope = _path.Enter(".matches", j);
            result.Add(analyze(this, matches[j], problems));
        }

        return result;
    }

    private AnalyzedRoute L4(IReadOnlyList<L4RouteRule> rules, IReadOnlyList<string> hostnames)
    {
        Problem? routeProblem = rules.Count == 0
            ? new(RouteConditions.UnsupportedValue, $"{_route.Kind} {_route.Key} has no rules; it needs exactly one rule with backendRefs (gamma-spec K2/K3).")
            : null;
        var analyzed = new List<AnalyzedRule>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            using var scope = EnterRule(rules[i].Name, i);
            var problems = new List<Problem>();
            var backends = Backends(rules[i].BackendRefs, [], problems);
            analyzed.Add(new AnalyzedRule
            {
                Index = i,
                Name = rules[i].Name,
                Problem = First(problems),
                Backends = backends,
                Hostnames = hostnames,
            });
        }

        return Done(analyzed, routeProblem);
    }

    private AnalyzedRoute Done(List<AnalyzedRule> rules, Problem? routeProblem) => new()
    {
        Route = _route,
        Type = _type,
        Rules = rules,
        BackendProblems = _backendProblems,
        RouteProblem = routeProblem,
        XBackends = [.. _xbackends],
        EndpointServices = Distinct(_endpointServices),
        ServiceRefs = ServiceRefs(),
    };

    /// <summary>Every Service the route names as a parent or (mirrors included) a backend, found or not, once each.</summary>
    private string[] ServiceRefs()
    {
        foreach (var p in _route.ParentRefs)
        {
            if (MeshModel.IsServiceParent(p))
            {
                var ns = MeshModel.ParentNamespace(_route, p);
                _serviceRefs.Add(_index.Service(ns, p.Name)?.Key ?? $"{ns}/{p.Name}");
            }
        }

        return Distinct(_serviceRefs);
    }

    /// <summary>The keys once each, in order; a route names a few (the CRD bounds them), so a look over those kept, not a set.</summary>
    private static string[] Distinct(List<string> keys)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var kept = 0;
        var result = new string[keys.Count];
        foreach (var key in keys)
        {
            if (Array.IndexOf(result, key, 0, kept) < 0)
            {
                result[kept++] = key;
            }
        }

        return kept == result.Length ? result : result[..kept];
    }

    private static Problem? First(List<Problem> problems) => problems.Count == 0
        ? null
        : problems.Count == 1 ? problems[0] : new(problems[0].Reason, string.Join(" ", problems.Select(p => p.Message)));

    /// <summary>Enters <c>rules[i]</c>, with the rule's name when it has one, for the problems found in it.</summary>
    private SpecPath.Scope EnterRule(string? name, int i) => _path.Enter("rules", i, name);

    // ---- matches (E3-E8, K1) ----

    private MatchPolicy HttpMatch(HttpRouteMatch m, List<Problem> problems)
    {
        var path = m.Path ?? new HttpPathMatch();
        var pathType = path.Type ?? PathMatchType.PathPrefix;
        var pathValue = path.Value ?? "/";
        switch (pathType)
        {
            case PathMatchType.Exact or PathMatchType.PathPrefix:
                if (pathValue.Length == 0 || pathValue[0] != '/')
                {
                    problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}.path: {pathType} value \"{pathValue}\" must start with \"/\"."));
                }

                break;
            case PathMatchType.RegularExpression:
                if (RegexDialect.Problem(pathValue) is { } error)
                {
                    problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}.path: regular expression \"{pathValue}\" is refused: {error}"));
                }

                break;
            default:
                problems.Add(Unsupported($"{_path}.path.type", pathType, "Exact, PathPrefix, RegularExpression"));
                break;
        }

        if (m.Method is { } method && !HttpRouteMethod.IsDefined(method))
        {
            problems.Add(Unsupported($"{_path}.method", method, string.Join(", ", HttpRouteMethod.All)));
        }

        return new MatchPolicy
        {
            PathType = pathType,
            PathValue = pathValue,
            Method = m.Method,
            Headers = Values(m.Headers, static h => (h.Type, h.Name, h.Value), StringComparer.OrdinalIgnoreCase, ".headers", problems),
            QueryParams = Values(m.QueryParams, static q => (q.Type, q.Name, q.Value), StringComparer.Ordinal, ".queryParams", problems),
        };
    }

    private MatchPolicy GrpcMatch(GrpcRouteMatch m, List<Problem> problems)
    {
        string? type = null;
        if (m.Method is { } method)
        {
            type = method.Type ?? HeaderMatchType.Exact;
            if (string.IsNullOrEmpty(method.Service) && string.IsNullOrEmpty(method.Method))
            {
                problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}.method sets neither service nor method; set at least one (gamma-spec K1)."));
            }

            if (type == HeaderMatchType.RegularExpression)
            {
                foreach (var pattern in new[] { method.Service, method.Method })
                {
                    if (pattern is not null && RegexDialect.Problem(pattern) is { } error)
                    {
                        problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}.method: regular expression \"{pattern}\" is refused: {error}"));
                    }
                }
            }
            else if (type != HeaderMatchType.Exact)
            {
                problems.Add(Unsupported($"{_path}.method.type", type, "Exact, RegularExpression"));
            }
        }

        return new MatchPolicy
        {
            GrpcType = type,
            GrpcService = string.IsNullOrEmpty(m.Method?.Service) ? null : m.Method.Service,
            GrpcMethod = string.IsNullOrEmpty(m.Method?.Method) ? null : m.Method.Method,
            Headers = Values(m.Headers, static h => (h.Type, h.Name, h.Value), StringComparer.OrdinalIgnoreCase, ".headers", problems),
        };
    }

    /// <summary>E4/E5: for repeated names only the first entry counts.</summary>
    private List<ValueMatchPolicy> Values<TEntry>(
        IReadOnlyList<TEntry> entries, Func<TEntry, (string? Type, string Name, string Value)> read, StringComparer names, string field, List<Problem> problems)
    {
        var result = new List<ValueMatchPolicy>(entries.Count);
        if (entries.Count == 0)
        {
            return result;
        }

        using var scope = _path.Enter(field);
        // A look over those already kept, not a set: the CRD allows 16 entries (CrdValidator).
        foreach (var entry in entries)
        {
            var (type, name, value) = read(entry);
            if (Taken(result, name, names))
            {
                continue;
            }

            var t = type ?? HeaderMatchType.Exact;
            if (t == HeaderMatchType.RegularExpression)
            {
                if (RegexDialect.Problem(value) is { } error)
                {
                    problems.Add(new(RouteConditions.UnsupportedValue, $"{_path} \"{name}\": regular expression \"{value}\" is refused: {error}"));
                }
            }
            else if (t != HeaderMatchType.Exact)
            {
                problems.Add(Unsupported($"{_path} \"{name}\" type", t, "Exact, RegularExpression"));
            }

            result.Add(new ValueMatchPolicy { Type = t, Name = name, Value = value });
        }

        return result;
    }

    private static bool Taken(List<ValueMatchPolicy> taken, string name, StringComparer names)
    {
        foreach (var v in taken)
        {
            if (names.Equals(v.Name, name))
            {
                return true;
            }
        }

        return false;
    }

    private static Problem Unsupported(string field, string value, string supported) =>
        new(RouteConditions.UnsupportedValue, $"{field}: \"{value}\" is not a supported value (supported: {supported}) (gamma-spec E8).");

    // ---- filters (G1-G8, K1) ----

    private List<FilterPolicy> Filters(IReadOnlyList<HttpRouteFilter> filters, IReadOnlyList<MatchPolicy> matches, List<Problem> problems)
    {
        var result = new List<FilterPolicy>(filters.Count);
        if (filters.Count == 0)
        {
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < filters.Count; k++)
        {
            var f = filters[k];
            using var scope = _path.Enter(".filters", k);
            if (f.Type is FilterKind.RequestHeaderModifier or FilterKind.ResponseHeaderModifier or FilterKind.RequestRedirect
                or FilterKind.UrlRewrite or FilterKind.Cors && !seen.Add(f.Type))
            {
                problems.Add(new(RouteConditions.IncompatibleFilters, $"{_path}: {f.Type} appears more than once; each of CORS, RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect and URLRewrite may appear once (gamma-spec G2)."));
                continue;
            }

            if (Filter(f, matches, problems) is { } policy)
            {
                result.Add(policy);
            }
        }

        if (seen.Contains(FilterKind.RequestRedirect) && seen.Contains(FilterKind.UrlRewrite))
        {
            problems.Add(new(RouteConditions.IncompatibleFilters, $"{_path} has both RequestRedirect and URLRewrite; they are mutually exclusive (gamma-spec G2). Keep one."));
        }

        return result;
    }

    private FilterPolicy? Filter(HttpRouteFilter f, IReadOnlyList<MatchPolicy> matches, List<Problem> problems)
    {
        var grpc = _type == RouteType.Grpc;
        switch (f.Type)
        {
            case FilterKind.RequestHeaderModifier:
                return f.RequestHeaderModifier is { } req
                    ? new FilterPolicy { Kind = f.Type, Headers = Headers(req) }
                    : Missing(f.Type, "requestHeaderModifier", problems);
            case FilterKind.ResponseHeaderModifier:
                return f.ResponseHeaderModifier is { } res
                    ? new FilterPolicy { Kind = f.Type, Headers = Headers(res) }
                    : Missing(f.Type, "responseHeaderModifier", problems);
            case FilterKind.RequestMirror:
                if (f.RequestMirror is not { } mirror)
                {
                    return Missing(f.Type, "requestMirror", problems);
                }

                return new FilterPolicy
                {
                    Kind = f.Type,
                    Mirror = new MirrorPolicy { Backend = MirrorBackend(mirror.BackendRef, matches, problems), Share = MirrorShare(mirror) },
                };
            case FilterKind.RequestRedirect when !grpc:
                if (f.RequestRedirect is not { } redirect)
                {
                    return Missing(f.Type, "requestRedirect", problems);
                }

                if (redirect.Scheme is { } scheme && scheme is not ("http" or "https"))
                {
                    problems.Add(Unsupported($"{_path}.requestRedirect.scheme", scheme, "http, https"));
                }

                if (!HttpRequestRedirectFilter.AllowedStatusCodes.Contains(redirect.StatusCode))
                {
                    problems.Add(Unsupported($"{_path}.requestRedirect.statusCode", redirect.StatusCode.ToString(CultureInfo.InvariantCulture),
                        string.Join(", ", HttpRequestRedirectFilter.AllowedStatusCodes)));
                }

                if (redirect.Port is { } port && port is < 1 or > 65535)
                {
                    problems.Add(Unsupported($"{_path}.requestRedirect.port", port.ToString(CultureInfo.InvariantCulture), "1..65535"));
                }

                return new FilterPolicy
                {
                    Kind = f.Type,
                    Redirect = new RedirectPolicy
                    {
                        Scheme = redirect.Scheme,
                        Hostname = redirect.Hostname,
                        Port = redirect.Port,
                        StatusCode = redirect.StatusCode,
                        Path = PathModifier(redirect.Path, matches, ".requestRedirect.path", problems),
                    },
                };
            case FilterKind.UrlRewrite when !grpc:
                return f.UrlRewrite is { } rewrite
                    ? new FilterPolicy
                    {
                        Kind = f.Type,
                        Rewrite = new RewritePolicy { Hostname = rewrite.Hostname, Path = PathModifier(rewrite.Path, matches, ".urlRewrite.path", problems) },
                    }
                    : Missing(f.Type, "urlRewrite", problems);
            case FilterKind.Cors when !grpc:
                return f.Cors is { } cors
                    ? new FilterPolicy
                    {
                        Kind = f.Type,
                        Cors = new CorsPolicy
                        {
                            AllowOrigins = cors.AllowOrigins,
                            AllowMethods = cors.AllowMethods,
                            AllowHeaders = cors.AllowHeaders,
                            ExposeHeaders = cors.ExposeHeaders,
                            AllowCredentials = cors.AllowCredentials ?? false,
                            MaxAge = cors.MaxAge,
                        },
                    }
                    : Missing(f.Type, "cors", problems);
            case HttpRouteFilterType.ExtensionRef or HttpRouteFilterType.ExternalAuth:
                problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}: Weft does not implement {f.Type} filters, so the rule is not applied; remove the filter (gamma-spec G1)."));
                return null;
            default:
                problems.Add(Unsupported($"{_path}.type", f.Type, grpc
                    ? "RequestHeaderModifier, ResponseHeaderModifier, RequestMirror"
                    : "RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS"));
                return null;
        }
    }

    private FilterPolicy? Missing(string type, string field, List<Problem> problems)
    {
        problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}: type {type} needs the {field} field set (gamma-spec G2)."));
        return null;
    }

    private static HeaderModifierPolicy Headers(HttpHeaderFilter f) => new()
    {
        Set = [.. f.Set.Select(h => new HeaderValuePolicy { Name = h.Name, Value = h.Value })],
        Add = [.. f.Add.Select(h => new HeaderValuePolicy { Name = h.Name, Value = h.Value })],
        Remove = f.Remove,
    };

    /// <summary>G8: percent (0..100) or fraction; neither means every request.</summary>
    private static double MirrorShare(HttpRequestMirrorFilter m) =>
        m.Percent is { } p ? Math.Clamp(p / 100.0, 0, 1)
        : m.Fraction is { Denominator: > 0 } f ? Math.Clamp((double)f.Numerator / f.Denominator, 0, 1)
        : 1.0;

    /// <summary>G2/G7: ReplacePrefixMatch needs exactly one match, a PathPrefix one, whose value it replaces.</summary>
    private PathModifierPolicy? PathModifier(HttpPathModifier? m, IReadOnlyList<MatchPolicy> matches, string field, List<Problem> problems)
    {
        if (m is null)
        {
            return null;
        }

        using var scope = _path.Enter(field);
        switch (m.Type)
        {
            case PathModifierType.ReplaceFullPath:
                if (m.ReplaceFullPath is null)
                {
                    problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}: type ReplaceFullPath needs replaceFullPath set."));
                }

                return new PathModifierPolicy { Type = m.Type, Value = m.ReplaceFullPath ?? "/" };
            case PathModifierType.ReplacePrefixMatch:
                if (m.ReplacePrefixMatch is null)
                {
                    problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}: type ReplacePrefixMatch needs replacePrefixMatch set."));
                }

                if (matches.Count != 1 || matches[0].PathType != PathMatchType.PathPrefix)
                {
                    problems.Add(new(RouteConditions.IncompatibleFilters,
                        $"{_path}: ReplacePrefixMatch needs the rule to have exactly one match, with a PathPrefix path (gamma-spec G2); it has {matches.Count} match(es). Split the rule or use ReplaceFullPath."));
                }

                return new PathModifierPolicy
                {
                    Type = m.Type,
                    Value = m.ReplacePrefixMatch ?? "/",
                    MatchedPrefix = matches.Count == 1 ? matches[0].PathValue : null,
                };
            default:
                problems.Add(Unsupported($"{_path}.type", m.Type, "ReplaceFullPath, ReplacePrefixMatch"));
                return null;
        }
    }

    // ---- timeouts and retries (I, J) ----

    private TimeoutPolicy? Timeouts(HttpRouteTimeouts? t, List<Problem> problems)
    {
        if (t is null || (t.Request is null && t.BackendRequest is null))
        {
            return null;
        }

        var request = Duration(t.Request, ".timeouts.request", problems);
        var backend = Duration(t.BackendRequest, ".timeouts.backendRequest", problems);
        if (request is { } r && r > TimeSpan.Zero && backend is { } b && b > r)
        {
            problems.Add(new(RouteConditions.UnsupportedValue, $"{_path}.timeouts: backendRequest ({t.BackendRequest}) must not exceed request ({t.Request}) (GEP-1742)."));
        }

        return new TimeoutPolicy { Request = request, BackendRequest = backend };
    }

    private RetryPolicy? Retry(HttpRouteRetry? r, List<Problem> problems)
    {
        if (r is null)
        {
            return null;
        }

        foreach (var code in r.Codes)
        {
            if (code is < 400 or > 599)
            {
                problems.Add(Unsupported($"{_path}.retry.codes", code.ToString(CultureInfo.InvariantCulture), "400..599"));
            }
        }

        if (r.Attempts is < 1)
        {
            problems.Add(Unsupported($"{_path}.retry.attempts", r.Attempts.Value.ToString(CultureInfo.InvariantCulture), "1 or more"));
        }

        // GEP-1731: attempts is the maximum number of retries, not of tries; unset means one retry (Weft's default).
        return new RetryPolicy { Codes = [.. r.Codes.Distinct()], Attempts = r.Attempts ?? 1, Backoff = Duration(r.Backoff, ".retry.backoff", problems) };
    }

    /// <summary>
    /// Weft's gRPC retry annotations on a GRPCRoute (docs/resilience.md), for every rule: <c>retry.weft.dev/grpc-codes</c>
    /// turns retries on; <c>retry.weft.dev/attempts</c> and <c>retry.weft.dev/backoff</c> mean what GEP-1731's fields do.
    /// </summary>
    private RetryPolicy? GrpcRetry(IReadOnlyDictionary<string, string> annotations, List<Problem> problems)
    {
        if (!annotations.TryGetValue(GrpcRetryableCodes.CodesAnnotation, out var codesText))
        {
            return null;
        }

        var at = $"metadata.annotations[{GrpcRetryableCodes.CodesAnnotation}]";
        var codes = GrpcRetryableCodes.Parse(codesText, out var error);
        if (codes is null)
        {
            problems.Add(new(RouteConditions.UnsupportedValue, $"{at}: {error}."));
            codes = [];
        }

        var attempts = 1;
        if (annotations.TryGetValue(GrpcRetryableCodes.AttemptsAnnotation, out var attemptsText)
            && (!int.TryParse(attemptsText, NumberStyles.None, CultureInfo.InvariantCulture, out attempts) || attempts < 1))
        {
            problems.Add(Unsupported($"metadata.annotations[{GrpcRetryableCodes.AttemptsAnnotation}]", attemptsText, "1 or more"));
            attempts = 1;
        }

        var backoff = annotations.TryGetValue(GrpcRetryableCodes.BackoffAnnotation, out var backoffText)
            ? Duration(backoffText, $"metadata.annotations[{GrpcRetryableCodes.BackoffAnnotation}]", problems, absolute: true)
            : null;
        return new RetryPolicy { GrpcCodes = codes, Attempts = attempts, Backoff = backoff };
    }

    /// <summary>A Gateway API duration; a problem names <paramref name="field"/> under the current path (or alone, when <paramref name="absolute"/>).</summary>
    private TimeSpan? Duration(string? text, string field, List<Problem> problems, bool absolute = false)
    {
        if (text is null)
        {
            return null;
        }

        if (GatewayDuration.TryParse(text, out var value))
        {
            return value;
        }

        var at = absolute ? field : $"{_path}{field}";
        problems.Add(new(RouteConditions.UnsupportedValue, $"{at}: \"{text}\" is not a Gateway API duration (like 10s, 500ms, 1h30m; units h, m, s, ms) (GEP-2257)."));
        return null;
    }

    // ---- backends (F1-F6) ----

    private List<BackendPolicy> Backends(IReadOnlyList<BackendRef> refs, IReadOnlyList<MatchPolicy> matches, List<Problem> problems)
    {
        var result = new List<BackendPolicy>(refs.Count);
        for (var k = 0; k < refs.Count; k++)
        {
            using var scope = _path.Enter(".backendRefs", k);
            var backend = Backend(refs[k], matches, problems);

            // F2: weight 0 means no traffic; the entry is dropped but its problems are still reported.
            if (backend.Weight > 0)
            {
                result.Add(backend);
            }
        }

        return result;
    }

    private BackendPolicy MirrorBackend(BackendRef r, IReadOnlyList<MatchPolicy> matches, List<Problem> problems)
    {
        using var scope = _path.Enter(".requestMirror.backendRef");
        return Backend(r, matches, problems);
    }

    /// <summary>A backendRef, with the path entered at it (problems name it).</summary>
    private BackendPolicy Backend(BackendRef r, IReadOnlyList<MatchPolicy> matches, List<Problem> problems)
    {
        var ns = string.IsNullOrEmpty(r.Namespace) ? _route.Namespace : r.Namespace;
        var filters = r.Filters.Count == 0 ? [] : Filters(r.Filters, matches, problems);
        BackendPolicy Result(string? invalid, string appProtocol = BackendAppProtocol.Http, IReadOnlyList<EndpointPolicy>? endpoints = null,
            ExternalBackendPolicy? external = null, TlsOriginationPolicy? tls = null, BackendTraffic? traffic = null, int? port = null) => new()
            {
                Namespace = ns,
                Name = r.Name,
                Port = external?.Port ?? port ?? r.Port ?? 0,
                Weight = Math.Clamp(r.Weight, 0, 1_000_000),
                Invalid = invalid,
                AppProtocol = appProtocol,
                Endpoints = endpoints ?? [],
                External = external,
                Tls = tls,
                RetryBudget = traffic?.RetryBudget,
                SessionPersistence = traffic?.Session,
                Filters = filters,
            };

        BackendPolicy Fail(string reason, string message, int? port = null)
        {
            _backendProblems.Add(new(reason, $"{_path}: {message}"));
            return Result(reason, port: port);
        }

        // An external backend (issue 17): the XBackend's own port is the one connected to; a backendRef port is not read.
        if (ExternalBackends.IsRef(r.Group, r.Kind))
        {
            var external = ExternalBackends.Resolve(_index, _route, _type, ns, r.Name);
            if (external.Backend is { } referred)
            {
                _xbackends.Add(referred);
            }

            return external.Reason is { } reason
                ? Fail(reason, external.Message!, external.Backend?.Spec.Port.Port)
                : Result(null, external.AppProtocol, external: external.External, traffic: _index.Traffic(XBackend.KindName, ns, r.Name));
        }

        // F1: group "" (or the "core" alias), kind Service.
        if (!CoreServiceRef.Is(r.Group, r.Kind))
        {
            return Fail(RouteConditions.InvalidKind,
                $"kind \"{r.Kind}\" in group \"{r.Group}\" is not supported; Weft routes to core Services (group \"\", kind Service) and XBackends (group {GatewayApi.ExperimentalGroup}).");
        }

        // F6: no ReferenceGrant is needed for backends of Service-parented (mesh) routes, whatever their namespace.
        var svc = _index.Service(ns, r.Name);
        var key = svc?.Key ?? $"{ns}/{r.Name}";
        _serviceRefs.Add(key);
        if (svc is null)
        {
            return Fail(RouteConditions.BackendNotFound, $"Service {key} not found; create it or fix backendRef name/namespace.");
        }

        // A3: ExternalName Services SHOULD NOT be backends; Weft reports them as an unsupported kind of Service.
        if (svc.Spec.Type == "ExternalName")
        {
            return Fail(RouteConditions.InvalidKind,
                $"Service {svc.Key} is of type ExternalName, which the mesh does not route to (gamma-spec A3); use a Service with a selector or EndpointSlices.");
        }

        if (r.Port is not { } portNumber)
        {
            return Fail(RouteConditions.BackendNotFound, $"backendRef to Service {svc.Key} has no port; port is required for a Service backend (gamma-spec F1).");
        }

        if (MeshIndex.FindPort(svc, portNumber) is not { } port)
        {
            return Fail(RouteConditions.BackendNotFound,
                $"port {portNumber} matches no port of Service {svc.Key} ({MeshIndex.DescribePorts(svc)}); backendRefs[].port is the Service port, not the targetPort.");
        }

        // A BackendTLSPolicy on the port: the proxy originates TLS to the endpoints (not under a TLSRoute, whose client's
        // own TLS passes through). One it cannot honour fails the backend's share (500) and says why in its own terms;
        // the route's conditions stay as they are (the spec gives the route no reason for it).
        var tls = _type == RouteType.Tls ? null : _index.ServiceTls(svc, port);
        var (app, protocolProblem) = ServiceAppProtocol.ForRoute(port.AppProtocol, _type, originatesTls: tls is not null);
        if (protocolProblem is not null)
        {
            return Fail(RouteConditions.UnsupportedProtocol, $"Service {svc.Key} port {portNumber} has appProtocol \"{port.AppProtocol}\": {protocolProblem}");
        }

        if (tls is { Reason: { } unusable })
        {
            return Result(unusable);
        }

        _endpointServices.Add(svc.Key);
        return Result(null, app, _index.Endpoints(svc, port), tls: tls?.Policy, traffic: _index.Traffic(CoreServiceRef.Kind, svc.Namespace, svc.Name));
    }
}
