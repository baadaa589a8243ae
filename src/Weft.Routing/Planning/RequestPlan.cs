using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// What the data plane must do with one HTTP request, decided by <see cref="RequestPlanner"/>: either answer it itself
/// (<see cref="Respond"/>: 404, 500, 503, or a redirect) or forward it to <see cref="Backend"/> with the filters' changes.
/// A gRPC plan (<see cref="RequestPlanner.PlanGrpc"/>) that answers itself sets <see cref="GrpcStatus"/>: the proxy then
/// answers "trailers-only" (HTTP 200, <c>content-type: application/grpc</c>, <c>grpc-status</c> and <c>grpc-message</c>
/// from <see cref="Message"/> in the response headers) and <see cref="Status"/> is 200.
/// </summary>
public sealed class RequestPlan
{
    internal RequestPlan(string path) => Path = path;

    /// <summary>True when the proxy answers the request itself with <see cref="Status"/> (and <see cref="Location"/>).</summary>
    public bool Respond { get; private set; }
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
    public BackendPolicy? Backend { get; internal set; }

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

    internal void AddResponseModifier(HeaderModifierPolicy modifier) => (_responseModifiers ??= []).Add(modifier);

    internal void AddMirror(MirrorPolicy mirror) => (_mirrors ??= []).Add(mirror);

    internal RequestPlan Answer(int status, string message, string? location = null)
    {
        Respond = true;
        Status = status;
        Message = message;
        Location = location;
        Backend = null;
        return this;
    }

    internal RequestPlan AnswerGrpc(int grpcStatus, string message)
    {
        Answer(200, message);
        GrpcStatus = grpcStatus;
        return this;
    }
}
