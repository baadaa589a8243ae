using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Routing.Planning;

namespace Weft.Proxy.Grpc;

/// <summary>
/// What the proxy needs to know of the gRPC protocol (grpc/grpc doc/PROTOCOL-HTTP2.md) without a gRPC library: whether a
/// request is a call, its <c>/service/method</c>, and how to answer one itself ("trailers-only": HTTP 200,
/// <c>content-type: application/grpc</c>, <c>grpc-status</c> and <c>grpc-message</c> in the only header block, no body).
/// </summary>
internal static class GrpcCall
{
    public const string TimeoutHeader = "grpc-timeout";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";

    /// <summary>A gRPC call is a request whose content-type is <c>application/grpc</c> or <c>application/grpc+proto</c> etc.</summary>
    public static bool IsGrpc(HttpRequest request) => GrpcRequest.IsGrpcContentType(request.ContentType);

    /// <summary>Answers the call with a gRPC status and no message (never an HTTP error status to a gRPC client).</summary>
    public static void Answer(HttpResponse response, int status, string? message)
    {
        response.Clear();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers[StatusHeader] = status.ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(message))
        {
            response.Headers[MessageHeader] = PercentEncode(message);
        }
    }

    /// <summary>The gRPC status in a response's header block (a trailers-only answer), if any.</summary>
    public static int? StatusOf(HttpResponseMessage response)
    {
        return response.Headers.TryGetValues(StatusHeader, out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    /// <summary>
    /// The gRPC status a call was answered with, as sent to the client: from the response's trailers, or from its header
    /// block when it was trailers-only; null when neither carries one.
    /// </summary>
    public static int? StatusOf(HttpResponse response)
    {
        var trailers = response.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>()?.Trailers;
        var text = trailers is not null && trailers.TryGetValue(StatusHeader, out var fromTrailers) ? fromTrailers.ToString()
            : response.Headers.TryGetValue(StatusHeader, out var fromHeaders) ? fromHeaders.ToString() : null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    /// <summary>grpc-message is percent-encoded UTF-8: bytes outside 0x20..0x7E and '%' itself.</summary>
    internal static string PercentEncode(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
