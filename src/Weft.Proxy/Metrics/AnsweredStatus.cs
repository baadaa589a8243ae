using Microsoft.AspNetCore.Http;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The status a full-path request is counted, tapped and traced with, read once when it ends: the response's, or 0 (status
/// class <c>other</c>: no answer, a failure) when the client went away before a response head was sent. YARP sets 400 on
/// a request its client cancelled and Kestrel starts every response at 200, but neither reached anyone. The fast path
/// counts the same case the same way (<see cref="Http1.Http1Relay"/>).
/// </summary>
internal static class AnsweredStatus
{
    public static int Of(HttpContext context) =>
        !context.Response.HasStarted && context.RequestAborted.IsCancellationRequested ? 0 : context.Response.StatusCode;
}
