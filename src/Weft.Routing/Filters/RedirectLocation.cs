using System.Globalization;
using Weft.Routing.Policy;

namespace Weft.Routing.Filters;

/// <summary>The response of a RequestRedirect filter (gamma-spec G6).</summary>
public static class RedirectLocation
{
    /// <summary>
    /// The status code and <c>Location</c>. Scheme: the filter's, else the request's. Host: the filter's hostname, else the
    /// request's Host header without its port. Path: per the path modifier (G7), else unchanged; the query is kept.
    /// Port: the filter's; else the scheme's well-known port when the filter sets a scheme; else the listener port, which in
    /// a mesh is the Service port the request was addressed to. The port is left out for http:80 and https:443.
    /// </summary>
    public static (int Status, string Location) Build(
        RedirectPolicy redirect, string requestScheme, string requestHost, int servicePort, string path, string? query)
    {
        ArgumentNullException.ThrowIfNull(redirect);
        ArgumentNullException.ThrowIfNull(requestScheme);
        ArgumentNullException.ThrowIfNull(requestHost);
        ArgumentNullException.ThrowIfNull(path);

        var scheme = (redirect.Scheme ?? requestScheme).ToLowerInvariant();
        var host = redirect.Hostname ?? StripPort(requestHost);
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        var port = redirect.Port ?? (redirect.Scheme is not null ? WellKnownPort(scheme) ?? servicePort : servicePort);
        var newPath = redirect.Path is null ? path : PathRewrite.Apply(redirect.Path, path);
        var portText = WellKnownPort(scheme) == port ? "" : ":" + port.ToString(CultureInfo.InvariantCulture);
        var q = string.IsNullOrEmpty(query) ? "" : query[0] == '?' ? query : "?" + query;
        return (redirect.StatusCode, $"{scheme}://{host}{portText}{newPath}{q}");
    }

    private static int? WellKnownPort(string scheme) => scheme switch
    {
        "http" => 80,
        "https" => 443,
        _ => null,
    };

    /// <summary>"host:port" → "host", "[v6]:port" → "[v6]", a bare IPv6 address unchanged.</summary>
    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? host : host[..(close + 1)];
        }

        var colon = host.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 || host.IndexOf(':', colon + 1) >= 0 ? host : host[..colon];
    }
}
