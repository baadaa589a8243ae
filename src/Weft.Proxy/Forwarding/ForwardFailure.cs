using Microsoft.AspNetCore.Http;
using Weft.Proxy.Grpc;
using Weft.Proxy.Outbound;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// What the full path answers for a forward YARP failed before any response (it set 502 or 504): a body that says which
/// upstream and what failed, as the fast path's 502 does (<see cref="Http1.Http1Relay"/>), where a bare status leaves the
/// caller guessing (nothing listening, a TLS port sent plaintext, a certificate). The outbound path to a mesh backend,
/// the inbound path to the app and the path outside the mesh all answer through it; a gRPC call gets its status instead.
/// </summary>
internal static class ForwardFailure
{
    /// <summary>
    /// Answers <c>weft: UPSTREAM: WHAT FAILED</c> with the status YARP set, unless the response started or is gRPC's, or
    /// the client has gone (YARP's RequestCanceled): no one would read it, and the request stays one that got no answer
    /// (<see cref="Metrics.AnsweredStatus"/>).
    /// </summary>
    public static Task AnswerAsync(HttpContext context, string upstream) =>
        context.Response.HasStarted || GrpcCall.IsGrpc(context.Request) || context.RequestAborted.IsCancellationRequested
            ? Task.CompletedTask
            : OutboundHandler.RespondAsync(context, context.Response.StatusCode, $"{upstream}: {Describe(context)}");

    /// <summary>What failed, in the words of the innermost exception Weft wrote (a TLS check names the roots), else YARP's.</summary>
    public static string Describe(HttpContext context)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (Unwrap<System.Security.Authentication.AuthenticationException>(exception) is { } tls)
        {
            return tls.Message;
        }

        return Unwrap<System.Net.Sockets.SocketException>(exception) is { } socket
            ? $"cannot connect: {socket.Message}"
            : exception?.Message ?? "the backend did not answer";
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="exception"/>'s chain.</summary>
    public static T? Unwrap<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }
}
