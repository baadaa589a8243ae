using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// What the data plane must do with one HTTP request, decided by <see cref="RequestPlanner"/>: either answer it itself
/// (<see cref="Respond"/>: 404, 500, 503, or a redirect) or forward it to <see cref="Backend"/> with the filters' changes.
/// <see cref="Outcome"/> names the rule that decided, and the plan carries its own trace (the rule that matched, the
/// backend picked, the filters applied in order and, when asked for, the other rules that matched too): the proxy, the
/// offline conformance runner and <c>weft explain</c> all read this one decision.
/// A gRPC plan (<see cref="RequestPlanner.PlanGrpc"/>) that answers itself sets <see cref="GrpcStatus"/>: the proxy then
/// answers "trailers-only" (HTTP 200, <c>content-type: application/grpc</c>, <c>grpc-status</c> and <c>grpc-message</c>
/// from <see cref="Message"/> in the response headers) and <see cref="Status"/> is 200.
/// </summary>
public sealed class RequestPlan
{
    internal RequestPlan(string path) => Path = path;

    /// <summary>Which rule decided: forward, or one of the answers.</summary>
    public PlanOutcome Outcome { get; private set; }

    /// <summary>True when the proxy answers the request itself with <see cref="Status"/> (and <see cref="Location"/>).</summary>
    public bool Respond => !Outcome.Forwards();
    public int Status { get; private set; }

    /// <summary>The redirect target (gamma-spec G6), for a RequestRedirect response.</summary>
    public string? Location { get; private set; }

    /// <summary>
    /// For a gRPC call the proxy answers itself: the gRPC status code (see <see cref="GrpcStatusCodes"/>), e.g. 12
    /// UNIMPLEMENTED when no rule matches, 14 UNAVAILABLE for an invalid backend's share; null otherwise.
    /// </summary>
    public int? GrpcStatus { get; private set; }

    /// <summary>Why the proxy answered as it did, for the response body and logs.</summary>
    public string? Message { get; private set; }

    /// <summary>The matched rule's index in the policy, or -1 (no rules, or no match).</summary>
    public int RuleIndex { get; internal set; } = -1;
    public RulePolicy? Rule { get; internal set; }

    /// <summary>The backend to forward to (it has endpoints and is valid), when not <see cref="Respond"/>.</summary>
    public BackendPolicy? Backend => Outcome.Forwards() ? Picked : null;

    /// <summary>
    /// The backend the weighted pick chose (or the Service's own, gamma-spec C1), also when its share is answered
    /// (<see cref="PlanOutcome.InvalidBackend"/>, <see cref="PlanOutcome.NoReadyEndpoints"/>); null when none was picked.
    /// </summary>
    public BackendPolicy? Picked { get; private set; }

    /// <summary>The index of <see cref="Picked"/> in the rule's backends; -1 for the Service's own backend or none.</summary>
    public int PickedIndex { get; private set; } = -1;

    /// <summary>
    /// With <c>trace</c>: the indexes of the other rules that matched the request too, in precedence order (each lost to
    /// <see cref="RuleIndex"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<int> AlsoMatched { get; internal set; } = [];

    /// <summary>
    /// The filters that ran, in order (gamma-spec G3, G5): the rule's, then the picked backend's, ending at a
    /// RequestRedirect when one answered.
    /// </summary>
    public IReadOnlyList<FilterPolicy> Filters
    {
        get
        {
            var applied = new List<FilterPolicy>();
            foreach (var filter in Rule?.Filters ?? [])
            {
                applied.Add(filter);
                if (ReferenceEquals(filter, _redirect))
                {
                    return applied; // a rule-level redirect answers before any backend is picked
                }
            }

            foreach (var filter in PickedIndex >= 0 ? Picked!.Filters : [])
            {
                applied.Add(filter);
                if (ReferenceEquals(filter, _redirect))
                {
                    break;
                }
            }

            return applied;
        }
    }

    /// <summary>
    /// A forward with nothing to do but choose an endpoint: no filter on the rule or the picked backend (so no header
    /// edit, rewrite, mirror, CORS or response modifier), no timeout and no retry, to endpoints discovery named (not an
    /// external backend, whose addresses the proxy resolves) without TLS to originate or a session to keep. The fast
    /// path takes only these.
    /// </summary>
    public bool IsPlainForward =>
        Backend is { Filters.Count: 0, External: null, Tls: null, SessionPersistence: null } && (Rule is null || Rule is { Filters.Count: 0, Retry: null, Timeouts: null });

    /// <summary>The request path to send upstream (after URLRewrite, gamma-spec G7).</summary>
    public string Path { get; internal set; }
    public bool PathRewritten { get; internal set; }

    /// <summary>The Host to send upstream when URLRewrite set one; null keeps the request's own.</summary>
    public string? Host { get; internal set; }

    /// <summary>ResponseHeaderModifier filters to apply to the backend's response, in order.</summary>
    public IReadOnlyList<HeaderModifierPolicy> ResponseModifiers => _responseModifiers ?? (IReadOnlyList<HeaderModifierPolicy>)[];

    /// <summary>The matched rule's CORS filter, if any: the proxy answers its preflights and adds its response headers.</summary>
    public CorsPolicy? Cors
    {
        get
        {
            foreach (var filter in Rule?.Filters ?? [])
            {
                if (filter.Kind == FilterKind.Cors && filter.Cors is not null)
                {
                    return filter.Cors;
                }
            }

            return null;
        }
    }

    /// <summary>RequestMirror filters: fire-and-forget copies (gamma-spec G8).</summary>
    public IReadOnlyList<MirrorPolicy> Mirrors => _mirrors ?? (IReadOnlyList<MirrorPolicy>)[];

    private List<HeaderModifierPolicy>? _responseModifiers;
    private List<MirrorPolicy>? _mirrors;
    private FilterPolicy? _redirect;

    internal RequestPlan Pick(BackendPolicy backend, int index)
    {
        Picked = backend;
        PickedIndex = index;
        return this;
    }

    internal RequestPlan Forward(PlanOutcome outcome)
    {
        Outcome = outcome;
        return this;
    }

    internal RequestPlan Redirect(FilterPolicy filter, int status, string location)
    {
        _redirect = filter;
        return Answer(PlanOutcome.Redirect, status, "redirect", location);
    }

    internal void AddResponseModifier(HeaderModifierPolicy modifier) => (_responseModifiers ??= []).Add(modifier);

    internal void AddMirror(MirrorPolicy mirror) => (_mirrors ??= []).Add(mirror);

    internal RequestPlan Answer(PlanOutcome outcome, int status, string message, string? location = null)
    {
        Outcome = outcome;
        Status = status;
        Message = message;
        Location = location;
        return this;
    }

    internal RequestPlan AnswerGrpc(PlanOutcome outcome, int grpcStatus, string message)
    {
        Answer(outcome, 200, message);
        GrpcStatus = grpcStatus;
        return this;
    }
}
