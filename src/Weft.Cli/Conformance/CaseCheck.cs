using System.Globalization;
using Weft.Cli.Client;
using Weft.Echo;

namespace Weft.Cli.Conformance;

/// <summary>
/// Whether a response meets a case's expectation, by the upstream harness's rules (gamma-spec (b) "How a case passes",
/// (f) "Parsing") plus the stricter path and Location checks. Each method returns null when the check holds, otherwise
/// what was wrong.
/// </summary>
internal static class CaseCheck
{
    public static string? Check(CaseExpectation expect, MeshResponse response)
    {
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(response);
        var status = response.StatusCode.ToString(CultureInfo.InvariantCulture);
        if (!expect.Status.Contains(status))
        {
            return $"expected status {string.Join(" or ", expect.Status)}, got {status}{Describe(response)}";
        }

        var echo = EchoResponse.Parse(response.BodyText);
        return CheckEcho(expect, echo, status, response.Header);
    }

    /// <summary>A gRPC call: the status by name (<c>OK</c>, <c>UNAVAILABLE</c>), then the echo reply as for HTTP.</summary>
    public static string? CheckGrpc(CaseExpectation expect, MeshGrpcResponse response)
    {
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(response);
        if (!expect.Status.Contains(response.StatusName, StringComparer.OrdinalIgnoreCase))
        {
            var detail = response.Detail.Length == 0 ? "" : $" ({response.Detail})";
            return $"expected gRPC status {string.Join(" or ", expect.Status)}, got {response.StatusName}{detail}";
        }

        return CheckEcho(expect, EchoResponse.Parse(response.Message), response.StatusName, response.Header);
    }

    private static string? CheckEcho(CaseExpectation expect, EchoResponse echo, string status, Func<string, string?> responseHeader)
    {
        if (expect.Backend is { } backend)
        {
            if (echo.Hostname is null)
            {
                return $"expected backend {backend}, got a response without a backend pod (status {status})";
            }

            if (!echo.Hostname.StartsWith(backend, StringComparison.Ordinal))
            {
                return $"expected backend {backend}, got {echo.Hostname}";
            }
        }

        if (expect.Path is { } path && echo.Url != path)
        {
            return $"expected the backend to receive path {path}, got {echo.Url ?? "(no echo body)"}";
        }

        if (expect.Location is { } location && responseHeader("Location") != location)
        {
            return $"expected Location {location}, got {responseHeader("Location") ?? "none"}";
        }

        foreach (var (name, value) in expect.RequestHeaders)
        {
            var actual = echo.RequestHeader(name);
            if (actual.Count == 0)
            {
                return $"expected request header {name}: {value}, but the backend did not receive it";
            }

            var joined = string.Join(',', actual);
            if (joined != value)
            {
                return $"expected request header {name}: {value}, got {joined}";
            }
        }

        foreach (var name in expect.AbsentRequestHeaders)
        {
            var actual = echo.RequestHeader(name);
            if (actual.Count > 0)
            {
                return $"expected request header {name} to be absent, got {string.Join(',', actual)}";
            }
        }

        foreach (var (name, value) in expect.ResponseHeaders)
        {
            var actual = responseHeader(name);
            if (actual != value)
            {
                return actual is null ? $"expected response header {name}: {value}, but it is absent" : $"expected response header {name}: {value}, got {actual}";
            }
        }

        foreach (var name in expect.AbsentResponseHeaders)
        {
            if (responseHeader(name) is { } actual)
            {
                return $"expected response header {name} to be absent, got {actual}";
            }
        }

        return null;
    }

    /// <summary>
    /// The weighted-split check: every response has an expected status, and each listed backend prefix gets its share
    /// within the tolerance; a backend not listed gets nothing. <paramref name="responses"/> holds each response's pod
    /// name (null for none).
    /// </summary>
    public static string? CheckDistribution(CaseExpectation expect, IReadOnlyList<(int Status, string? Backend)> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        return CheckDistribution(expect, [.. responses.Select(r => (r.Status.ToString(CultureInfo.InvariantCulture), r.Backend))]);
    }

    /// <summary>The weighted-split check with statuses as written in case files: HTTP codes or gRPC status names.</summary>
    public static string? CheckDistribution(CaseExpectation expect, IReadOnlyList<(string Status, string? Backend)> responses)
    {
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(responses);
        var distribution = expect.Distribution ?? throw new ArgumentException("the case has no distribution", nameof(expect));
        if (responses.Count == 0)
        {
            return "no responses";
        }

        var bad = responses.FirstOrDefault(r => !expect.Status.Contains(r.Status, StringComparer.OrdinalIgnoreCase));
        if (bad != default)
        {
            return $"expected status {string.Join(" or ", expect.Status)} for every request, got {bad.Status}";
        }

        var counts = distribution.Keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        var prefixes = distribution.Keys.OrderByDescending(k => k.Length).ToList();
        foreach (var (_, backend) in responses)
        {
            var prefix = backend is null ? null : prefixes.FirstOrDefault(p => backend.StartsWith(p, StringComparison.Ordinal));
            if (prefix is null)
            {
                return $"a response came from {backend ?? "no backend pod"}, which is not in the expected distribution";
            }

            counts[prefix]++;
        }

        var shares = counts.ToDictionary(c => c.Key, c => (double)c.Value / responses.Count, StringComparer.Ordinal);
        var off = distribution.Where(d => Math.Abs(shares[d.Key] - d.Value) > expect.Tolerance).ToList();
        return off.Count == 0
            ? null
            : $"distribution {Format(shares)} is not within ±{expect.Tolerance.ToString(CultureInfo.InvariantCulture)} of {Format(distribution)}";
    }

    public static string Format(IEnumerable<KeyValuePair<string, double>> shares) =>
        string.Join(", ", shares.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value.ToString("0.000", CultureInfo.InvariantCulture)}"));

    private static string Describe(MeshResponse response)
    {
        var echo = EchoResponse.Parse(response.BodyText);
        if (echo.Hostname is { } host)
        {
            return $" from {host}";
        }

        var body = response.BodyText.Trim();
        return body.Length == 0 ? "" : $" ({(body.Length > 120 ? body[..120] + "…" : body).ReplaceLineEndings(" ")})";
    }
}
