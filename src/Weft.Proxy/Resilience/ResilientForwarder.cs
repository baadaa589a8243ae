using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Weft.Proxy.External;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Grpc;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Metrics;
using Weft.Proxy.Outbound;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Resilience;

/// <summary>
/// Forwards one planned request with the rule's timeouts (GEP-1742) and retries (GEP-1731 with a retry budget), attempt
/// by attempt through YARP's <see cref="IHttpForwarder"/>:
/// <list type="bullet">
/// <item>each attempt is cancelled after <see cref="RequestDeadline.NextAttemptTimeout"/> (backendRequest cut to what is
/// left of request), passed as SendAsync's cancellation token; YARP reports our token as <c>RequestCanceled</c>, so the
/// attempt's own token tells a timeout from a client that went away;</item>
/// <item>a retryable status is recognised in <see cref="MeshTransformer.TransformResponseAsync"/>, which returns false
/// (YARP then discards the body and returns <c>None</c>), so nothing of it reaches the client; the response is reset and
/// the request sent again, to an endpoint not tried yet where there is one;</item>
/// <item>YARP reads the request body from <c>HttpRequest.Body</c> each time, so a body buffered with
/// <c>EnableBuffering</c> (only with a retry policy and a known length ≤ <see cref="MaxReplayableBody"/>) is rewound and
/// replayed; a streamed body is only retried after a connect failure (nothing of it was read).</item>
/// </list>
/// When the request deadline expires the client gets 504 (gRPC: DEADLINE_EXCEEDED) as long as nothing was sent yet.
/// </summary>
internal sealed class ResilientForwarder(
    IHttpForwarder forwarder, ForwardingClient client, PowerOfTwoChoices balancer, RetryBudgets budgets, ProxyMetrics metrics, TimeProvider time, ILogger logger,
    ExternalConnector externals)
{
    /// <summary>The largest request body buffered so that it can be sent again.</summary>
    public const long MaxReplayableBody = 64 * 1024;

    /// <summary>Buffers the body when a retry policy applies and it is small enough; true when it can be sent again.</summary>
    public static bool PrepareBody(HttpContext context, bool buffer)
    {
        var request = context.Request;
        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
        if (!canHaveBody || request.ContentLength == 0)
        {
            return true;
        }

        if (buffer && request.ContentLength is long length && length <= MaxReplayableBody)
        {
            request.EnableBuffering((int)MaxReplayableBody, MaxReplayableBody);
            return true;
        }

        return false;
    }

    /// <param name="context">The request, already planned (its headers edited by the filters).</param>
    /// <param name="plan">The plan; <see cref="RequestPlan.Backend"/> is set.</param>
    /// <param name="destination">The destination Service frontend, the retry budget's key.</param>
    /// <param name="grpc">Whether this is a gRPC call (answers are gRPC statuses; grpc-timeout applies).</param>
    /// <param name="replayable">From <see cref="PrepareBody"/>.</param>
    /// <param name="labels">The request's metric labels.</param>
    /// <param name="peerInboundPort">The peers' inbound port.</param>
    /// <param name="corsHeaders">Headers to add to the backend's response (CORS), or null.</param>
    /// <returns>The endpoint of the last attempt (the one that answered, for the metrics' destination workload); null when none was tried.</returns>
    public async Task<EndpointPolicy?> ForwardAsync(
        HttpContext context, RequestPlan plan, string destination, bool grpc, bool replayable, RequestLabels labels, int peerInboundPort,
        IReadOnlyList<KeyValuePair<string, string>>? corsHeaders)
    {
        var backend = plan.Backend!;
        var rule = plan.Rule;
        var retry = rule?.Retry;
        TimeSpan? grpcTimeout = grpc && context.Request.Headers.TryGetValue(GrpcCall.TimeoutHeader, out var gt)
            && GrpcTimeout.TryParse(gt.ToString(), out var parsed) ? parsed : null;
        var deadline = RequestDeadline.Start(rule?.Timeouts, grpcTimeout, time);
        var endpoints = backend.Endpoints;
        if (backend.External is { } external)
        {
            // An external backend's addresses are this sidecar's own resolution of its name, never the app's; the
            // request's deadline covers the look-up too.
            using var resolving = deadline.Remaining() is { } left ? new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time) : null;
            using var linked = resolving is null ? null : CancellationTokenSource.CreateLinkedTokenSource(resolving.Token, context.RequestAborted);
            try
            {
                endpoints = await externals.EndpointsAsync(external, linked?.Token ?? context.RequestAborted);
            }
            catch (OperationCanceledException) when (resolving?.IsCancellationRequested == true && !context.RequestAborted.IsCancellationRequested)
            {
                AnswerTimeout(context, grpc);
                return null;
            }
            catch (ExternalResolutionException e)
            {
                var message = $"{backend.Namespace}/{backend.Name}: {e.Message}";
                if (grpc)
                {
                    GrpcCall.Answer(context.Response, GrpcStatusCodes.Unavailable, "weft: " + message);
                }
                else
                {
                    await OutboundHandler.RespondAsync(context, StatusCodes.Status503ServiceUnavailable, message);
                }

                return null;
            }
        }

        var budget = retry is null ? null : budgets.For(destination, backend);
        budget?.RecordRequest();
        var config = client.ConfigFor(context, backend.AppProtocol, external: backend.External is not null);

        // GEP-1619: a token the client carries pins its endpoint while that stays among the backend's endpoints.
        var session = backend.SessionPersistence;
        var now = time.GetUtcNow();
        var pinned = session is null ? -1 : SessionPin.Pick(SessionToken(context.Request, session), endpoints, session, now);
        var tried = new List<EndpointPolicy>(1);
        EndpointPolicy? last = null;
        for (var retries = 0; ; retries++)
        {
            var attemptTimeout = deadline.NextAttemptTimeout();
            var cutByRequest = deadline.Remaining() is { } left && (deadline.BackendRequest is not { } b || left <= b);
            if (attemptTimeout is { } t && t <= TimeSpan.Zero)
            {
                AnswerTimeout(context, grpc);
                return last;
            }

            var endpoint = tried.Count == 0 && pinned >= 0 ? endpoints[pinned] : Pick(endpoints, tried);
            tried.Add(endpoint);
            last = endpoint;
            // An external host, or TLS to the app (its sidecar sees opaque bytes): no weft-* header; else the mesh hop.
            var (prefix, invoker, viaSidecar) = client.Route(backend, endpoint, peerInboundPort);
            var backoff = Backoff.Delay(retry?.Backoff, retries + 1, Random.Shared.NextDouble());
            var verdict = RetryVerdict.NoPolicy;
            var retriesDone = retries;
            using var attempt = attemptTimeout is { } timeout ? new CancellationTokenSource(timeout, time) : null;
            var transformer = new MeshTransformer
            {
                AttemptTimer = attempt,
                Host = plan.Host ?? backend.External?.Authority,
                Path = plan.PathRewritten ? plan.Path : null,
                DestinationPort = viaSidecar ? endpoint.Port : null,
                SourceWorkload = metrics.Local.HeaderValue,
                ResponseModifiers = plan.ResponseModifiers,
                ExtraResponseHeaders = session is not null && (pinned < 0 || !ReferenceEquals(endpoint, endpoints[pinned]))
                    ? [.. corsHeaders ?? [], SessionHeader(session, SessionPin.Issue(endpoint, now))]
                    : corsHeaders,
                GrpcTimeout = grpc && attemptTimeout is { } g ? Weft.Routing.Resilience.GrpcTimeout.Format(g) : null,
                Discard = retry is null ? null : response =>
                {
                    var result = grpc && GrpcCall.StatusOf(response) is int status && status != GrpcStatusCodes.Ok
                        ? AttemptResult.Grpc(status)
                        : AttemptResult.Http((int)response.StatusCode);
                    verdict = RetryDecision.Decide(retry, retriesDone, result, replayable, deadline.Remaining(), backoff, budget);

                    // GEP-3388: past a policy's budget the client gets 503, not the answer that would have been retried.
                    return verdict == RetryVerdict.Retry || (verdict == RetryVerdict.BudgetExhausted && backend.RetryBudget is not null);
                },
            };

            ForwarderError error;
            using (balancer.LoadOf(endpoint).Begin())
            {
                error = await forwarder.SendAsync(context, prefix, invoker, config, transformer, attempt?.Token ?? CancellationToken.None);
                if (transformer.Discarded && verdict == RetryVerdict.BudgetExhausted)
                {
                    metrics.RecordRetry(labels, verdict);
                    await AnswerBudgetExhaustedAsync(context, grpc, backend);
                    return last;
                }
                else if (transformer.Discarded)
                {
                    // A retryable status arrived and the transformer has committed to a retry (budget charged).
                    metrics.RecordRetry(labels, RetryVerdict.Retry);
                }
                else if (error == ForwarderError.None || context.RequestAborted.IsCancellationRequested || context.Response.HasStarted)
                {
                    if (verdict is not RetryVerdict.NoPolicy and not RetryVerdict.NotRetryable)
                    {
                        metrics.RecordRetry(labels, verdict);
                    }

                    LogFailure(context, error, endpoint, backend);
                    return last;
                }
                else
                {
                    var timedOut = attempt?.IsCancellationRequested == true;
                    if (timedOut && (cutByRequest || deadline.IsExpired))
                    {
                        AnswerTimeout(context, grpc);
                        return last;
                    }

                    var result = timedOut ? AttemptResult.BackendTimeout : Classify(context, error, originatesTls: backend.External?.Tls is not null || backend.Tls is not null);
                    verdict = result is { } r
                        ? RetryDecision.Decide(retry, retries, r, replayable || r.Kind == AttemptResultKind.ConnectFailure, deadline.Remaining(), backoff, budget)
                        : RetryVerdict.NotRetryable;
                    if (backend.External is { } outsideMesh && result?.Kind == AttemptResultKind.ConnectFailure && verdict != RetryVerdict.Retry)
                    {
                        // Outside the mesh a name has addresses, not endpoints: one refusing connections is passed over for
                        // the next (nothing was sent), retry policy or not; when every one has failed, DNS is asked again.
                        if (tried.Count < endpoints.Count)
                        {
                            verdict = RetryVerdict.Retry;
                        }
                        else
                        {
                            externals.Unreachable(outsideMesh);
                        }
                    }

                    if (verdict is not RetryVerdict.NoPolicy and not RetryVerdict.NotRetryable)
                    {
                        metrics.RecordRetry(labels, verdict);
                    }

                    if (verdict != RetryVerdict.Retry)
                    {
                        LogFailure(context, error, endpoint, backend);
                        if (timedOut)
                        {
                            AnswerTimeout(context, grpc); // GEP-1742 backendRequest expired on the last attempt
                        }
                        else if (verdict == RetryVerdict.BudgetExhausted && backend.RetryBudget is not null)
                        {
                            await AnswerBudgetExhaustedAsync(context, grpc, backend);
                        }
                        else if (grpc)
                        {
                            GrpcCall.Answer(context.Response, RequestPlanner.ForwarderErrorToGrpc(context.Response.StatusCode), $"upstream {error}");
                        }
                        else
                        {
                            await ForwardFailure.AnswerAsync(context, $"{backend.Namespace}/{backend.Name} at {endpoint.Address}:{endpoint.Port}");
                        }

                        return last;
                    }
                }
            }

            // Retry: nothing of the last attempt reached the client. Reset what YARP set, rewind a buffered body, wait.
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }

            try
            {
                await Task.Delay(backoff, time, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return last;
            }
        }
    }

    /// <summary>GEP-3388: a retry past the backend's budget (from an XBackendTrafficPolicy) is answered 503 (gRPC UNAVAILABLE), saying whose budget.</summary>
    private static async Task AnswerBudgetExhaustedAsync(HttpContext context, bool grpc, BackendPolicy backend)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var policy = backend.RetryBudget!;
        var message = $"{backend.Namespace}/{backend.Name}: retry budget exhausted ({policy.Source}: {policy.Percent}% of requests over {policy.Interval.TotalSeconds:0.###} s, at least {policy.MinRetryCount} per {policy.MinRetryInterval.TotalSeconds:0.###} s)";
        context.Response.Clear();
        if (grpc)
        {
            GrpcCall.Answer(context.Response, GrpcStatusCodes.Unavailable, "weft: " + message);
            return;
        }

        await OutboundHandler.RespondAsync(context, StatusCodes.Status503ServiceUnavailable, message);
    }

    /// <summary>The session token the client sent: the cookie named by the policy, or the header.</summary>
    private static string? SessionToken(HttpRequest request, SessionPersistencePolicy session)
    {
        if (session.Type == SessionPersistencePolicy.Header)
        {
            return request.Headers.TryGetValue(session.Name, out var value) ? value.ToString() : null;
        }

        return request.Cookies.TryGetValue(session.Name, out var cookie) ? cookie : null;
    }

    /// <summary>The response header that gives the client its token: a Set-Cookie (Max-Age only when Permanent), or the header itself.</summary>
    private static KeyValuePair<string, string> SessionHeader(SessionPersistencePolicy session, string token)
    {
        if (session.Type == SessionPersistencePolicy.Header)
        {
            return new(session.Name, token);
        }

        var cookie = $"{session.Name}={token}; Path=/; HttpOnly";
        if (session.Permanent && session.AbsoluteTimeout is { } lifetime)
        {
            cookie += $"; Max-Age={(long)lifetime.TotalSeconds}";
        }

        return new("Set-Cookie", cookie);
    }

    /// <summary>GEP-1742: 504 for HTTP, DEADLINE_EXCEEDED for gRPC, unless the response has started.</summary>
    private static void AnswerTimeout(HttpContext context, bool grpc)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        if (grpc)
        {
            GrpcCall.Answer(context.Response, GrpcStatusCodes.DeadlineExceeded, "request timeout");
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = RequestDeadline.HttpStatus;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Connect failures and resets before a response head (ForwarderError.Request / RequestTimedOut) are retryable. A
    /// certificate refused by TLS Weft <paramref name="originatesTls"/> is not: no other address or attempt would pass.
    /// </summary>
    private static AttemptResult? Classify(HttpContext context, ForwarderError error, bool originatesTls)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (originatesTls && ForwardFailure.Unwrap<System.Security.Authentication.AuthenticationException>(exception) is not null)
        {
            return null;
        }

        return error switch
        {
            ForwarderError.Request when ForwardFailure.Unwrap<HttpRequestException>(exception) is { HttpRequestError: HttpRequestError.ConnectionError }
                => AttemptResult.ConnectFailure,
            ForwarderError.Request or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders => AttemptResult.Reset,
            ForwarderError.RequestTimedOut => AttemptResult.Reset,
            _ => null,
        };
    }


    /// <summary>P2C over the endpoints not tried yet (each retry to another endpoint where one exists), else over all.</summary>
    private EndpointPolicy Pick(IReadOnlyList<EndpointPolicy> endpoints, List<EndpointPolicy> tried)
    {
        if (tried.Count == 0 || tried.Count >= endpoints.Count)
        {
            return endpoints[balancer.Pick(endpoints, Random.Shared)];
        }

        var fresh = endpoints.Where(e => !tried.Contains(e)).ToList();
        return fresh[balancer.Pick(fresh, Random.Shared)];
    }

    private void LogFailure(HttpContext context, ForwarderError error, EndpointPolicy endpoint, BackendPolicy backend)
    {
        if (error != ForwarderError.None)
        {
            ProxyLog.ForwardFailed(logger, error.ToString(), endpoint.Address, endpoint.Port, backend.Namespace, backend.Name,
                context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
        }
    }
}
