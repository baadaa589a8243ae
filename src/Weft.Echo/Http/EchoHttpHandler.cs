using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Weft.Echo.Http;

/// <summary>
/// The upstream echo app's HTTP handler (istio pkg/test/echo/server/endpoint/http.go): applies the query knobs
/// (<c>delay</c>, then <c>headers</c>, then <c>codes</c>) and answers with the request described in the echo
/// text format. A WebSocket upgrade request is not answered with text: it becomes an echo socket
/// (<see cref="WebSocketEcho"/>), as upstream's <c>websocket.IsWebSocketUpgrade</c> branch does, before any knob applies.
/// </summary>
internal sealed class EchoHttpHandler(EchoOptions options, TimeProvider time, ILogger logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        EchoLog.HttpRequest(logger, request.Method, RawTarget(context), request.Protocol, context.Connection.LocalPort);
        if (context.WebSockets.IsWebSocketRequest)
        {
            await WebSocketEcho.RunAsync(context, logger);
            return;
        }

        // Knob values are read like Go's url.Values.Get: the first value; unknown parameters are ignored.
        var query = request.Query;

        var delayText = First(query["delay"]);
        if (!string.IsNullOrEmpty(delayText))
        {
            if (!GoDuration.TryParse(delayText, out var delay))
            {
                await BadRequestAsync(response, $"invalid delay={delayText}");
                return;
            }

            if (delay > TimeSpan.Zero)
            {
                try
                {
                    // At least `delay`, like Go's time.Sleep: timers may fire up to a tick early, so top up.
                    var started = time.GetTimestamp();
                    for (var left = delay; left > TimeSpan.Zero; left = delay - time.GetElapsedTime(started))
                    {
                        await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, time, context.RequestAborted);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        var headersText = First(query["headers"]);
        if (!string.IsNullOrEmpty(headersText))
        {
            foreach (var item in headersText.Split(','))
            {
                var parts = item.Split(':');
                if (parts.Length != 2)
                {
                    await BadRequestAsync(response, $"invalid headers item '{item}' (want name:value)");
                    return;
                }

                // Append, not set: the same name may be given more than once. Go's Header.Add canonicalises the name.
                response.Headers.Append(GoHeaderName.Canonical(parts[0]), parts[1]);
            }
        }

        if (!ResponseCodes.TryParse(First(query["codes"]), out var codes, out var error))
        {
            await BadRequestAsync(response, error!);
            return;
        }

        response.StatusCode = codes.Pick(Random.Shared);
        if (string.IsNullOrEmpty(response.ContentType))
        {
            response.ContentType = "text/plain; charset=utf-8";
        }

        if (response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return;
        }

        // A sized body, as Go's server sends for a short reply (no chunking).
        var body = System.Text.Encoding.UTF8.GetBytes(Describe(context));
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The echo text for a request, in upstream field order.</summary>
    internal string Describe(HttpContext context)
    {
        var request = context.Request;
        var text = new EchoText()
            .Field(EchoField.ServiceVersion, options.ServiceVersion)
            .Field(EchoField.ServicePort, context.Connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Field(EchoField.Host, request.Headers.Host.ToString())
            .Field(EchoField.Url, RawTarget(context))
            .Field(EchoField.Cluster, options.Cluster)
            .Field(EchoField.IstioVersion, options.IstioVersion)
            .Field(EchoField.Method, request.Method)
            .Field(EchoField.Proto, GoProto(request.Protocol))
            .Field(EchoField.IP, ClientAddress(context.Connection.RemoteIpAddress))
            .Field(EchoField.Alpn, NegotiatedAlpn(context));
        if (context.Features.Get<ISslStreamFeature>() is { } tls)
        {
            text.Field(EchoField.Sni, tls.SslStream.TargetHostName); // on a server: the name the client's hello sent
        }

        text.RequestHeaders(GoRequestHeaders(request.Headers))
            .Field(EchoField.Hostname, options.Hostname);
        return text.ToString();
    }

    /// <summary>The request target exactly as received (Go's r.RequestURI): path and query, not normalised.</summary>
    private static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : context.Request.Path + context.Request.QueryString;

    /// <summary>Go's r.Proto spelling.</summary>
    private static string GoProto(string protocol) => protocol switch
    {
        "HTTP/2" => "HTTP/2.0",
        "HTTP/3" => "HTTP/3.0",
        _ => protocol,
    };

    internal static string ClientAddress(IPAddress? address) =>
        address is null ? "" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    /// <summary>The ALPN protocol a TLS handshake chose; empty on cleartext (including h2c, whose marker is not TLS).</summary>
    private static string NegotiatedAlpn(HttpContext context)
    {
        if (context.Features.Get<ITlsHandshakeFeature>() is null)
        {
            return "";
        }

        var alpn = context.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        return System.Text.Encoding.ASCII.GetString(alpn.Span);
    }

    /// <summary>
    /// Request headers as a Go server sees them in r.Header: canonical names, no Host (that is r.Host), no
    /// HTTP/2 pseudo-headers, no Transfer-Encoding (Go moves it to r.TransferEncoding).
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> GoRequestHeaders(IHeaderDictionary headers)
    {
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith(':')
                || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            yield return new(GoHeaderName.Canonical(name), Values(values));
        }
    }

    private static string[] Values(StringValues values) => [.. values.Select(v => v ?? "")];

    private static string? First(StringValues values) => values.Count > 0 ? values[0] : null;

    private static async Task BadRequestAsync(HttpResponse response, string message)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n");
    }
}
