using System.Globalization;
using Weft.Routing.Policy;

namespace Weft.Routing.Resilience;

/// <summary>
/// The HTTPRoute CORS filter (Gateway API HTTPCORSFilter, standard since v1.6; gamma-spec G1): the proxy answers a
/// preflight itself (<see cref="Preflight"/>) and adds headers to the backend's response for an actual cross-origin
/// request (<see cref="ForResponse"/>). An origin that does not match gets no CORS headers (the preflight is still
/// answered 204, as the filter allows), so the browser refuses the request. Methods and headers outside the lists are
/// left for the browser to refuse too: the answer states what is allowed, as the filter says.
/// </summary>
public static class CorsPreflight
{
    public const string AllowOrigin = "Access-Control-Allow-Origin";
    public const string AllowCredentials = "Access-Control-Allow-Credentials";
    public const string AllowMethods = "Access-Control-Allow-Methods";
    public const string AllowHeaders = "Access-Control-Allow-Headers";
    public const string ExposeHeaders = "Access-Control-Expose-Headers";
    public const string MaxAge = "Access-Control-Max-Age";
    public const string RequestMethod = "Access-Control-Request-Method";
    public const string RequestHeaders = "Access-Control-Request-Headers";

    /// <summary>The status of the proxy's answer to a preflight, allowed or not.</summary>
    public const int PreflightStatus = 204;

    /// <summary>A preflight is <c>OPTIONS</c> with <c>Origin</c> and <c>Access-Control-Request-Method</c> (Fetch standard).</summary>
    public static bool IsPreflight(string method, string? origin, string? requestMethod) =>
        string.Equals(method, "OPTIONS", StringComparison.Ordinal) && !string.IsNullOrEmpty(origin) && !string.IsNullOrEmpty(requestMethod);

    /// <summary>
    /// The headers of the preflight answer, or null when <paramref name="origin"/> is not allowed (answer
    /// <see cref="PreflightStatus"/> with no CORS headers).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? Preflight(CorsPolicy policy, string origin, string requestMethod, string? requestHeaders)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(requestMethod);
        if (!OriginAllowed(policy, origin))
        {
            return null;
        }

        var headers = OriginHeaders(policy, origin);
        if (policy.AllowMethods.Count > 0)
        {
            // "*" with credentials must be the requested method itself, not the wildcard.
            var methods = policy.AllowMethods.Contains("*")
                ? policy.AllowCredentials ? requestMethod : "*"
                : string.Join(", ", policy.AllowMethods);
            headers.Add(new(AllowMethods, methods));
        }

        if (!string.IsNullOrWhiteSpace(requestHeaders) && policy.AllowHeaders.Count > 0)
        {
            var allowed = policy.AllowHeaders.Contains("*")
                ? policy.AllowCredentials ? NormaliseList(requestHeaders) : "*"
                : string.Join(", ", policy.AllowHeaders);
            headers.Add(new(AllowHeaders, allowed));
        }

        headers.Add(new(MaxAge, policy.MaxAge.ToString(CultureInfo.InvariantCulture)));
        return headers;
    }

    /// <summary>
    /// The headers to add to the backend's response to a cross-origin (non-preflight) request: none when there is no
    /// <paramref name="origin"/> or it is not allowed. <paramref name="responseHeaderNames"/> lists the response's header
    /// names, used for <c>exposeHeaders: ["*"]</c> with credentials (where the wildcard cannot be sent).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ForResponse(CorsPolicy policy, string? origin, IEnumerable<string>? responseHeaderNames = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrEmpty(origin) || !OriginAllowed(policy, origin))
        {
            return [];
        }

        var headers = OriginHeaders(policy, origin);
        if (policy.ExposeHeaders.Count > 0)
        {
            var expose = !policy.ExposeHeaders.Contains("*") ? string.Join(", ", policy.ExposeHeaders)
                : !policy.AllowCredentials ? "*"
                : string.Join(", ", responseHeaderNames ?? []);
            if (expose.Length > 0)
            {
                headers.Add(new(ExposeHeaders, expose));
            }
        }

        return headers;
    }

    /// <summary>
    /// allowOrigins: <c>*</c> alone matches every origin; otherwise scheme, host and port must match, with the default
    /// port of the scheme when absent (80 http, 443 https), and a <c>*</c> in the host matching any number of labels
    /// to its left (<c>https://*.example.com</c> matches <c>https://a.b.example.com</c>, not <c>https://example.com</c>).
    /// </summary>
    public static bool OriginAllowed(CorsPolicy policy, string? origin)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrEmpty(origin))
        {
            return false;
        }

        if (policy.AllowOrigins.Contains("*"))
        {
            return true;
        }

        if (!TrySplit(origin, out var scheme, out var host, out var port))
        {
            return false;
        }

        foreach (var allowed in policy.AllowOrigins)
        {
            if (!TrySplit(allowed, out var aScheme, out var aHost, out var aPort)
                || !aScheme.Equals(scheme, StringComparison.OrdinalIgnoreCase) || aPort != port)
            {
                continue;
            }

            if (aHost == "*"
                || (aHost.StartsWith('*') && host.EndsWith(aHost[1..], StringComparison.OrdinalIgnoreCase) && host.Length > aHost.Length - 1)
                || aHost.Equals(host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static List<KeyValuePair<string, string>> OriginHeaders(CorsPolicy policy, string origin)
    {
        // With "*" and no credentials the wildcard may be sent; otherwise echo the one origin (and say the answer varies by it).
        List<KeyValuePair<string, string>> headers = policy.AllowOrigins.Contains("*") && !policy.AllowCredentials
            ? [new(AllowOrigin, "*")]
            : [new(AllowOrigin, origin), new("Vary", "Origin")];
        if (policy.AllowCredentials)
        {
            headers.Add(new(AllowCredentials, "true"));
        }

        return headers;
    }

    private static string NormaliseList(string list) =>
        string.Join(", ", list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static bool TrySplit(string origin, out string scheme, out string host, out int port)
    {
        scheme = host = "";
        port = 0;
        var sep = origin.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
        {
            return false;
        }

        scheme = origin[..sep];
        var authority = origin[(sep + 3)..].TrimEnd('/');
        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && authority.IndexOf(']', StringComparison.Ordinal) < colon)
        {
            if (!int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                return false;
            }

            host = authority[..colon];
        }
        else
        {
            host = authority;
            port = scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? 443
                : scheme.Equals("http", StringComparison.OrdinalIgnoreCase) ? 80 : 0;
        }

        return host.Length > 0;
    }
}
