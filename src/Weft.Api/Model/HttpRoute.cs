namespace Weft.Api.Model;

/// <summary>Enum values are kept as strings so that an unknown value reaches Routing, which reports UnsupportedValue (gamma-spec E8).</summary>
public static class PathMatchType
{
    public const string Exact = "Exact";
    public const string PathPrefix = "PathPrefix";
    public const string RegularExpression = "RegularExpression";
}

public static class HeaderMatchType
{
    public const string Exact = "Exact";
    public const string RegularExpression = "RegularExpression";
}

public static class HttpRouteFilterType
{
    public const string RequestHeaderModifier = "RequestHeaderModifier";
    public const string ResponseHeaderModifier = "ResponseHeaderModifier";
    public const string RequestRedirect = "RequestRedirect";
    public const string UrlRewrite = "URLRewrite";
    public const string RequestMirror = "RequestMirror";
    public const string Cors = "CORS";
    public const string ExternalAuth = "ExternalAuth";
    public const string ExtensionRef = "ExtensionRef";
}

public static class PathModifierType
{
    public const string ReplaceFullPath = "ReplaceFullPath";
    public const string ReplacePrefixMatch = "ReplacePrefixMatch";
}

public sealed record HttpPathMatch
{
    public string Type { get; init; } = PathMatchType.PathPrefix;
    public string Value { get; init; } = "/";
}

public sealed record HttpHeaderMatch
{
    public string Type { get; init; } = HeaderMatchType.Exact;
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public sealed record HttpQueryParamMatch
{
    public string Type { get; init; } = HeaderMatchType.Exact;
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public sealed record HttpRouteMatch
{
    /// <summary>Defaulted to PathPrefix "/" at load time when absent (gamma-spec E3).</summary>
    public HttpPathMatch Path { get; init; } = new();
    public IReadOnlyList<HttpHeaderMatch> Headers { get; init; } = [];
    public IReadOnlyList<HttpQueryParamMatch> QueryParams { get; init; } = [];
    public string? Method { get; init; }
}

public sealed record HttpPathModifier
{
    public required string Type { get; init; }
    public string? ReplaceFullPath { get; init; }
    public string? ReplacePrefixMatch { get; init; }
}

public sealed record HttpRequestRedirectFilter
{
    /// <summary>The status codes a redirect may answer with (gamma-spec G1, L): 301 and 302 (core), 303, 307 and 308 (extended).</summary>
    public static IReadOnlyList<int> AllowedStatusCodes { get; } = [301, 302, 303, 307, 308];

    public string? Scheme { get; init; }
    public string? Hostname { get; init; }
    public HttpPathModifier? Path { get; init; }
    public int? Port { get; init; }
    public int StatusCode { get; init; } = 302;
}

public sealed record HttpUrlRewriteFilter
{
    public string? Hostname { get; init; }
    public HttpPathModifier? Path { get; init; }
}

public sealed record HttpCorsFilter
{
    public IReadOnlyList<string> AllowOrigins { get; init; } = [];
    public IReadOnlyList<string> AllowMethods { get; init; } = [];
    public IReadOnlyList<string> AllowHeaders { get; init; } = [];
    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];
    public bool? AllowCredentials { get; init; }
    public int MaxAge { get; init; } = 5;
}

public sealed record HttpRouteFilter
{
    public required string Type { get; init; }
    public HttpHeaderFilter? RequestHeaderModifier { get; init; }
    public HttpHeaderFilter? ResponseHeaderModifier { get; init; }
    public HttpRequestRedirectFilter? RequestRedirect { get; init; }
    public HttpUrlRewriteFilter? UrlRewrite { get; init; }
    public HttpRequestMirrorFilter? RequestMirror { get; init; }
    public HttpCorsFilter? Cors { get; init; }
    public LocalObjectReference? ExtensionRef { get; init; }

    /// <summary>Experimental ExternalAuth filter (GEP-1494); only what validation and routing need.</summary>
    public HttpExternalAuthFilter? ExternalAuth { get; init; }
}

/// <summary>ExternalAuth filter (experimental): which protocol to speak to which auth backend.</summary>
public sealed record HttpExternalAuthFilter
{
    /// <summary>HTTP or GRPC.</summary>
    public required string Protocol { get; init; }
    public required BackendRef BackendRef { get; init; }
}

/// <summary>GEP-1742 timeouts, as written (Duration strings, GEP-2257).</summary>
public sealed record HttpRouteTimeouts
{
    public string? Request { get; init; }
    public string? BackendRequest { get; init; }
}

/// <summary>GEP-1731 retry (experimental channel).</summary>
public sealed record HttpRouteRetry
{
    public IReadOnlyList<int> Codes { get; init; } = [];
    public int? Attempts { get; init; }
    public string? Backoff { get; init; }
}

public sealed record HttpRouteRule
{
    public string? Name { get; init; }

    /// <summary>Defaulted to [PathPrefix "/"] at load time when absent.</summary>
    public IReadOnlyList<HttpRouteMatch> Matches { get; init; } = [new HttpRouteMatch()];
    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];
    public IReadOnlyList<BackendRef> BackendRefs { get; init; } = [];
    public HttpRouteTimeouts? Timeouts { get; init; }
    public HttpRouteRetry? Retry { get; init; }

    /// <summary>
    /// Gamma-spec G2 (the CRD's CEL "RequestRedirect filter must not be used together with backendRefs"): whether this rule
    /// has backendRefs and a rule-level filter carrying a <c>requestRedirect</c>. The CEL reads the field, not the type.
    /// </summary>
    public bool RedirectsWithBackends() => BackendRefs.Count > 0 && Filters.Any(f => f.RequestRedirect is not null);
}

public sealed record HttpRouteSpec
{
    public IReadOnlyList<ParentReference> ParentRefs { get; init; } = [];
    public IReadOnlyList<string> Hostnames { get; init; } = [];

    /// <summary>Defaulted to one rule matching PathPrefix "/" at load time when absent.</summary>
    public IReadOnlyList<HttpRouteRule> Rules { get; init; } = [new HttpRouteRule()];
}

public sealed record HttpRoute : Route
{
    public override string Kind => "HTTPRoute";
    public required HttpRouteSpec Spec { get; init; }
    public override IReadOnlyList<ParentReference> ParentRefs => Spec.ParentRefs;
}
