using Weft.Routing.Filters;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// The per-request GAMMA data-plane rules in one place, used by the proxy and the offline conformance check alike: rule match, filters in list order, weighted backend pick and the spec's error answers.
/// Request headers are edited in place through <see cref="IHeaderEditor"/>. Pure: randomness comes in as an argument.
/// </summary>
public static class RequestPlanner
{
    /// <param name="table">The destination's compiled table.</param>
    /// <param name="method">The request method.</param>
    /// <param name="path">The request path, as received (not normalised).</param>
    /// <param name="query">The query string without '?', or null.</param>
    /// <param name="headers">The request headers: looked up to match, edited by RequestHeaderModifier filters.</param>
    /// <param name="servicePort">The Service port the request was addressed to (gamma-spec G6's listener port).</param>
    /// <param name="random01">A uniform random number in [0, 1) for the weighted pick (gamma-spec F2).</param>
    /// <param name="trace">Also list the other rules that matched (<see cref="RequestPlan.AlsoMatched"/>): for <c>weft explain</c>, not the proxy.</param>
    public static RequestPlan Plan<THeaders>(RouteTable table, string method, string path, string? query, THeaders headers, int servicePort, double random01, bool trace = false)
        where THeaders : IHeaderLookup, IHeaderEditor
    {
        ArgumentNullException.ThrowIfNull(table);
        var policy = table.Policy;
        var plan = new RequestPlan(path);
        if (policy.Rules.Count == 0)
        {
            // gamma-spec C1: no route applies; plain forwarding to the Service's own endpoints (or to the one pod addressed).
            return policy.DefaultBackend is { } fallback
                ? Use(plan.Pick(fallback, -1))
                : plan.Answer(PlanOutcome.NoService, 503, $"no backend for {policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port}");
        }

        var index = table.Match(method, path, query, headers);
        if (index < 0)
        {
            // gamma-spec C2: attached routes replace the default behaviour; a request no rule matches gets 404.
            return plan.Answer(PlanOutcome.NoRuleMatched, 404, $"no route rule of {policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port} matches");
        }

        var rule = policy.Rules[index];
        plan.RuleIndex = index;
        plan.Rule = rule;
        if (trace)
        {
            plan.AlsoMatched = OthersMatching(table, index, method, path, query, headers); // before any filter edits the headers
        }

        if (ApplyFilters(plan, rule.Filters, query, headers, servicePort))
        {
            return plan;
        }

        // gamma-spec F2/F3: pick by weight; a rule with no usable backendRefs and no redirect is a 500.
        var picked = WeightedPicker.Pick(rule.Backends, random01);
        if (picked < 0)
        {
            return plan.Answer(PlanOutcome.NoBackends, 500, "the matched route rule has no backends");
        }

        var backend = rule.Backends[picked];
        if (ApplyFilters(plan.Pick(backend, picked), backend.Filters, query, headers, servicePort))
        {
            return plan; // gamma-spec G5: backend-level filters run only for the picked backend
        }

        return Use(plan);
    }

    /// <summary>
    /// The rules after <paramref name="winner"/> that match too (they lost on precedence). A method of its own, not a
    /// lambda in <see cref="Plan"/>: a closure over Plan's parameters would be allocated on every request, traced or not.
    /// </summary>
    private static int[] OthersMatching<THeaders>(RouteTable table, int winner, string method, string path, string? query, THeaders headers)
        where THeaders : IHeaderLookup
    {
        var others = new List<int>();
        for (var i = winner + 1; i < table.Policy.Rules.Count; i++)
        {
            if (table.RuleMatches(i, method, path, query, headers))
            {
                others.Add(i);
            }
        }

        return [.. others];
    }

    /// <summary>
    /// The plan for a request as the proxy receives it: a gRPC call (by its content-type, with a <c>/service/method</c>
    /// path) through <see cref="PlanGrpc"/>, anything else through <see cref="Plan"/>.
    /// </summary>
    /// <param name="table">The destination's compiled table.</param>
    /// <param name="method">The request method.</param>
    /// <param name="path">The request path, as received (not normalised).</param>
    /// <param name="query">The query string without '?', or null.</param>
    /// <param name="headers">The request headers (their content-type decides gRPC): looked up to match, edited by filters.</param>
    /// <param name="servicePort">The Service port the request was addressed to.</param>
    /// <param name="random01">A uniform random number in [0, 1) for the weighted pick (gamma-spec F2).</param>
    /// <param name="trace">Also list the other rules that matched (<see cref="RequestPlan.AlsoMatched"/>).</param>
    public static RequestPlan PlanRequest<THeaders>(RouteTable table, string method, string path, string? query, THeaders headers, int servicePort, double random01, bool trace = false)
        where THeaders : IHeaderLookup, IHeaderEditor
    {
        return headers.TryGetValue("content-type", out var contentType) && GrpcRequest.IsGrpcContentType(contentType)
            && GrpcRequest.TryParsePath(path, out var service, out var grpcMethod)
            ? PlanGrpc(table, service, grpcMethod, headers, servicePort, random01, trace)
            : Plan(table, method, path, query, headers, servicePort, random01, trace);
    }

    /// <summary>
    /// The plan for a gRPC call to <c>/service/method</c> on a GRPCRoute table (gamma-spec K1). Same rules as
    /// <see cref="Plan"/> with gRPC answers (trailers-only, <see cref="RequestPlan.GrpcStatus"/>):
    /// no rule matches → UNIMPLEMENTED (the GRPCRoute API does not name a status; UNIMPLEMENTED is what a gRPC server
    /// answers for a method it does not serve, and the gRPC analogue of C2's 404); an invalid backend's share, a rule
    /// without backends, or a backend without ready endpoints → UNAVAILABLE (GRPCRoute backendRefs, gamma-spec F4).
    /// Filters act on metadata: RequestHeaderModifier edits <paramref name="headers"/>, ResponseHeaderModifier and
    /// RequestMirror are collected as for HTTP. On a table without rules (no GRPCRoute, C1) the call goes to the
    /// default backend. An HTTPRoute table (HTTPRoute attached to a gRPC port) is matched as <c>POST /service/method</c>
    /// and keeps its HTTP answers (the route type decides, D1), with <see cref="RequestPlan.GrpcStatus"/> mapped from them.
    /// </summary>
    /// <param name="table">The destination's compiled table.</param>
    /// <param name="service">The fully qualified service, e.g. <c>proto.EchoTestService</c>.</param>
    /// <param name="method">The method, e.g. <c>Echo</c>.</param>
    /// <param name="headers">The request metadata: looked up to match, edited by RequestHeaderModifier filters.</param>
    /// <param name="servicePort">The Service port the call was addressed to.</param>
    /// <param name="random01">A uniform random number in [0, 1) for the weighted pick (gamma-spec F2).</param>
    /// <param name="trace">Also list the other rules that matched (<see cref="RequestPlan.AlsoMatched"/>).</param>
    public static RequestPlan PlanGrpc<THeaders>(RouteTable table, string service, string method, THeaders headers, int servicePort, double random01, bool trace = false)
        where THeaders : IHeaderLookup, IHeaderEditor
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(method);
        var path = $"/{service}/{method}";
        if (!table.IsGrpc)
        {
            var http = Plan(table, "POST", path, null, headers, servicePort, random01, trace);
            if (http.Respond && http.Status != 200)
            {
                // gRPC over HTTP (grpc/grpc doc/http-grpc-status-mapping.md): 404 → UNIMPLEMENTED, 503 → UNAVAILABLE, ...
                http.AnswerGrpc(http.Outcome, HttpToGrpc(http.Status), http.Message ?? "");
            }

            return http;
        }

        var policy = table.Policy;
        var plan = new RequestPlan(path);
        if (policy.Rules.Count == 0)
        {
            return policy.DefaultBackend is { } fallback
                ? UseGrpc(plan.Pick(fallback, -1))
                : plan.AnswerGrpc(PlanOutcome.NoService, GrpcStatusCodes.Unavailable, $"no backend for {policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port}");
        }

        var index = table.MatchGrpc(service, method, headers);
        if (index < 0)
        {
            return plan.AnswerGrpc(PlanOutcome.NoRuleMatched, GrpcStatusCodes.Unimplemented, $"no GRPCRoute rule of {policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port} matches {path}");
        }

        var rule = policy.Rules[index];
        plan.RuleIndex = index;
        plan.Rule = rule;
        if (trace)
        {
            plan.AlsoMatched = OthersMatching(table, index, "POST", path, null, headers);
        }

        ApplyFilters(plan, rule.Filters, null, headers, servicePort);
        var picked = WeightedPicker.Pick(rule.Backends, random01);
        if (picked < 0)
        {
            return plan.AnswerGrpc(PlanOutcome.NoBackends, GrpcStatusCodes.Unavailable, "the matched GRPCRoute rule has no backends");
        }

        var backend = rule.Backends[picked];
        ApplyFilters(plan.Pick(backend, picked), backend.Filters, null, headers, servicePort);
        return UseGrpc(plan);
    }

    /// <summary><see cref="Use"/> with gRPC's answer: UNAVAILABLE for an invalid backend or one without endpoints (F4).</summary>
    private static RequestPlan UseGrpc(RequestPlan plan)
    {
        var http = Use(plan);
        return http.Respond ? http.AnswerGrpc(http.Outcome, GrpcStatusCodes.Unavailable, http.Message ?? "") : http;
    }

    /// <summary>grpc/grpc doc/http-grpc-status-mapping.md, for answers made as HTTP statuses.</summary>
    internal static int HttpToGrpc(int status) => status switch
    {
        400 => GrpcStatusCodes.Internal,
        401 => GrpcStatusCodes.Unauthenticated,
        403 => GrpcStatusCodes.PermissionDenied,
        404 => GrpcStatusCodes.Unimplemented,
        429 or 502 or 503 or 504 => GrpcStatusCodes.Unavailable,
        _ => GrpcStatusCodes.Unknown,
    };

    /// <summary>
    /// The gRPC status for an HTTP error the proxy's forwarder made (no response from the backend), as the HTTP mapping
    /// above but for two cases: 504 is the call's own deadline passing (DEADLINE_EXCEEDED), and 400 (a request the
    /// forwarder could not send) is UNKNOWN.
    /// </summary>
    public static int ForwarderErrorToGrpc(int status) => status switch
    {
        504 => GrpcStatusCodes.DeadlineExceeded,
        400 => GrpcStatusCodes.Unknown,
        _ => HttpToGrpc(status),
    };

    /// <summary>
    /// Forwards to the picked backend (<see cref="RequestPlan.Picked"/>: one of the rule's, or the Service's own, C1);
    /// gamma-spec F4: the share meant for an invalid backend gets 500, a backend without ready endpoints 503.
    /// </summary>
    private static RequestPlan Use(RequestPlan plan)
    {
        var b = plan.Picked!;
        return PlanOutcomes.OfPicked(b, plan.PickedIndex) switch
        {
            PlanOutcome.InvalidBackend => plan.Answer(PlanOutcome.InvalidBackend, 500, $"backend {b.Display()} is invalid: {b.Invalid}"),
            PlanOutcome.NoReadyEndpoints => plan.Answer(PlanOutcome.NoReadyEndpoints, 503, $"backend {b.Display()} has no ready endpoints"),
            var forward => plan.Forward(forward),
        };
    }

    /// <summary>Filters in list order (gamma-spec G3). True when a RequestRedirect has produced the response.</summary>
    private static bool ApplyFilters<THeaders>(RequestPlan plan, IReadOnlyList<FilterPolicy> filters, string? query, THeaders headers, int servicePort)
        where THeaders : IHeaderLookup, IHeaderEditor
    {
        foreach (var filter in filters)
        {
            switch (filter.Kind)
            {
                case FilterKind.RequestHeaderModifier when filter.Headers is not null:
                    HeaderModification.Apply(filter.Headers, headers);
                    break;
                case FilterKind.ResponseHeaderModifier when filter.Headers is not null:
                    plan.AddResponseModifier(filter.Headers);
                    break;
                case FilterKind.RequestRedirect when filter.Redirect is not null:
                    var host = headers.TryGetValue("Host", out var h) ? h ?? "" : "";
                    var (status, location) = RedirectLocation.Build(filter.Redirect, "http", host, servicePort, plan.Path, query);
                    plan.Redirect(filter, status, location);
                    return true;
                case FilterKind.UrlRewrite when filter.Rewrite is not null:
                    if (filter.Rewrite.Path is not null)
                    {
                        plan.Path = PathRewrite.Apply(filter.Rewrite.Path, plan.Path);
                        plan.PathRewritten = true;
                    }

                    plan.Host = filter.Rewrite.Hostname ?? plan.Host;
                    break;
                case FilterKind.RequestMirror when filter.Mirror is not null:
                    plan.AddMirror(filter.Mirror);
                    break;
                default:
                    break; // CORS: RequestPlan.Cors, answered by the proxy; unknown kinds never reach a policy
            }
        }

        return false;
    }
}
