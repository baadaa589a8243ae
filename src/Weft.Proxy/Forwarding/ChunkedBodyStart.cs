using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Holds a chunked HTTP/1.1 request's head until its first chunk line has parsed (RFC 9112 7.1), so a body malformed
/// from its start is answered 400 here and never reaches the next hop. A body that breaks later has already started
/// upstream: then the forwarder's connection is dropped inside the body (no terminating chunk is made up for it, and it
/// is not pooled), so the app sees a cut request, never one that looks complete.
/// </summary>
/// <remarks>
/// Why only the first line: holding the whole body would buffer it; the first line costs one read the forwarder would
/// make anyway (the bytes stay unconsumed). Not done when the client waits for <c>100 Continue</c> (Expect), which the
/// app gives, nor for an upgrade.
/// </remarks>
internal static class ChunkedBodyStart
{
    public const string MalformedBody = "malformed chunked request body";

    /// <summary>True when the request may go on; false when it was answered 400 here (Connection: close).</summary>
    public static async ValueTask<bool> ParsesAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = request.Headers;
        if (!HttpProtocol.IsHttp11(request.Protocol) || !headers.ContainsKey(HeaderNames.TransferEncoding) || headers.ContainsKey(HeaderNames.Expect)
            || context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            return true;
        }

        try
        {
            var reader = request.BodyReader;
            var read = await reader.ReadAsync(context.RequestAborted);
            reader.AdvanceTo(read.Buffer.Start); // nothing consumed, nothing examined: the forwarder reads the same bytes
            return true;
        }
        catch (BadHttpRequestException)
        {
            // Kestrel has marked the connection to close; the answer says why.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.Connection = "close";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("weft: " + MalformedBody + "\n");
            return false;
        }
    }
}
