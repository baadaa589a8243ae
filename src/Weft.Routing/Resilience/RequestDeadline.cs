using Weft.Routing.Policy;

namespace Weft.Routing.Resilience;

/// <summary>
/// GEP-1742 timeouts for one request (gamma-spec I), started when the request has been received:
/// <c>timeouts.request</c> bounds the whole transaction, retries and backoffs included (expiry → HTTP 504 /
/// gRPC DEADLINE_EXCEEDED); <c>timeouts.backendRequest</c> bounds each attempt (and is itself cut to what is left);
/// <c>0s</c> disables either; a gRPC call's <c>grpc-timeout</c> tightens the request timeout, never loosens it.
/// Weft sets no timeout when the route leaves one unset (GEP-1742 leaves that to the implementation).
/// </summary>
public readonly struct RequestDeadline
{
    /// <summary>The HTTP answer when <see cref="Request"/> expires (GEP-1742; the gateway conformance test expects 504).</summary>
    public const int HttpStatus = 504;

    private readonly long _start;
    private readonly TimeProvider? _time;

    private RequestDeadline(TimeProvider time, TimeSpan? request, TimeSpan? backendRequest)
    {
        _time = time;
        _start = time.GetTimestamp();
        Request = request;
        BackendRequest = backendRequest;
    }

    /// <summary>The whole request's budget; null when unbounded.</summary>
    public TimeSpan? Request { get; }

    /// <summary>Each attempt's budget; null when unbounded.</summary>
    public TimeSpan? BackendRequest { get; }

    /// <param name="policy">The matched rule's timeouts, or null.</param>
    /// <param name="grpcTimeout">The call's <c>grpc-timeout</c> (<see cref="GrpcTimeout.TryParse"/>), or null.</param>
    /// <param name="time">The clock; the deadline starts now.</param>
    public static RequestDeadline Start(TimeoutPolicy? policy, TimeSpan? grpcTimeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var request = Effective(policy?.Request);
        if (grpcTimeout is { } g && (request is null || g < request))
        {
            request = g < TimeSpan.Zero ? TimeSpan.Zero : g;
        }

        return new RequestDeadline(time, request, Effective(policy?.BackendRequest));
    }

    /// <summary>GEP-1742: a configured zero disables the timeout (null = none).</summary>
    public static TimeSpan? Effective(TimeSpan? configured) => configured is { } t && t > TimeSpan.Zero ? t : null;

    /// <summary>What is left of <see cref="Request"/> (zero once expired); null when unbounded.</summary>
    public TimeSpan? Remaining()
    {
        if (Request is not { } request || _time is null)
        {
            return null;
        }

        var left = request - _time.GetElapsedTime(_start);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Whether <see cref="Request"/> has expired: cancel the attempt in flight and answer 504 / DEADLINE_EXCEEDED.</summary>
    public bool IsExpired => Remaining() is { } left && left <= TimeSpan.Zero;

    /// <summary>
    /// The timeout for the next attempt: <see cref="BackendRequest"/>, cut to what is left of <see cref="Request"/>;
    /// null when unbounded. Also the value to send upstream as <c>grpc-timeout</c> (<see cref="GrpcTimeout.Format"/>).
    /// </summary>
    public TimeSpan? NextAttemptTimeout()
    {
        var left = Remaining();
        return (left, BackendRequest) switch
        {
            (null, var b) => b,
            ({ } l, null) => l,
            ({ } l, { } b) => l < b ? l : b,
        };
    }
}
