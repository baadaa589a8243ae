using System.Globalization;

namespace Weft.Echo;

/// <summary>
/// An echo text body (HTTP body, gRPC message or TCP reply), parsed. Single-valued fields take the first
/// occurrence, as the upstream harness's regexes do (gamma-spec (f) "Parsing"); a field that is absent is null.
/// </summary>
public sealed record EchoResponse
{
    public int? StatusCode { get; init; }

    public string? ServiceVersion { get; init; }

    public int? ServicePort { get; init; }

    public string? Host { get; init; }

    public string? Url { get; init; }

    public string? Cluster { get; init; }

    public string? IstioVersion { get; init; }

    public string? Method { get; init; }

    public string? Proto { get; init; }

    public string? IP { get; init; }

    public string? Alpn { get; init; }

    public string? Hostname { get; init; }

    /// <summary>The <c>Echo=</c> field of a gRPC reply: the request's message.</summary>
    public string? Echo { get; init; }

    /// <summary>RequestHeader lines: name (case-insensitive) → values in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RequestHeaders { get; init; } = Empty;

    /// <summary>ResponseHeader lines, as the echo client prints them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ResponseHeaders { get; init; } = Empty;

    /// <summary>Every <c>Name=Value</c> line, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; } = [];

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Empty =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The values of request header <paramref name="name"/>, or none.</summary>
    public IReadOnlyList<string> RequestHeader(string name) =>
        RequestHeaders.TryGetValue(name, out var values) ? values : [];

    /// <summary>
    /// Parses echo text. Lines may carry the echo client's prefix (<c>[0] </c> or <c>[0 body] </c>);
    /// lines without <c>=</c> are skipped.
    /// </summary>
    public static EchoResponse Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        var fields = new List<KeyValuePair<string, string>>();
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        var requestHeaders = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var responseHeaders = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);

        foreach (var rawLine in text.Split('\n'))
        {
            var line = StripClientPrefix(rawLine.TrimEnd('\r'));
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var name = line[..eq];
            var value = line[(eq + 1)..];
            fields.Add(new(name, value));
            first.TryAdd(name, value);

            var headers = name switch
            {
                EchoField.RequestHeader => requestHeaders,
                EchoField.ResponseHeader => responseHeaders,
                _ => null,
            };
            if (headers is not null)
            {
                // Split on the first ':' only; values may contain colons.
                var colon = value.IndexOf(':', StringComparison.Ordinal);
                var headerName = colon < 0 ? value : value[..colon];
                var headerValue = colon < 0 ? "" : value[(colon + 1)..];
                if (!headers.TryGetValue(headerName, out var list))
                {
                    headers[headerName] = list = [];
                }

                list.Add(headerValue);
            }
        }

        return new EchoResponse
        {
            StatusCode = Int(first.GetValueOrDefault(EchoField.StatusCode)),
            ServiceVersion = first.GetValueOrDefault(EchoField.ServiceVersion),
            ServicePort = Int(first.GetValueOrDefault(EchoField.ServicePort)),
            Host = first.GetValueOrDefault(EchoField.Host),
            Url = first.GetValueOrDefault(EchoField.Url),
            Cluster = first.GetValueOrDefault(EchoField.Cluster),
            IstioVersion = first.GetValueOrDefault(EchoField.IstioVersion),
            Method = first.GetValueOrDefault(EchoField.Method),
            Proto = first.GetValueOrDefault(EchoField.Proto),
            IP = first.GetValueOrDefault(EchoField.IP),
            Alpn = first.GetValueOrDefault(EchoField.Alpn),
            Hostname = first.GetValueOrDefault(EchoField.Hostname),
            Echo = first.GetValueOrDefault(EchoField.Echo),
            RequestHeaders = Freeze(requestHeaders),
            ResponseHeaders = Freeze(responseHeaders),
            Fields = fields,
        };
    }

    private static string StripClientPrefix(string line)
    {
        // "[3] Url=..." or "[3 body] Host=...": the echo client's per-request prefix.
        if (line.StartsWith('['))
        {
            var close = line.IndexOf("] ", StringComparison.Ordinal);
            if (close > 0)
            {
                return line[(close + 2)..];
            }
        }

        return line;
    }

    private static int? Int(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static Dictionary<string, IReadOnlyList<string>> Freeze(Dictionary<string, List<string>> headers) =>
        headers.ToDictionary(h => h.Key, h => (IReadOnlyList<string>)h.Value, StringComparer.OrdinalIgnoreCase);
}
