namespace Weft.Routing.Resilience;

/// <summary>How one upstream attempt ended, as <see cref="RetryDecision"/> needs to know it.</summary>
public enum AttemptResultKind
{
    /// <summary>An HTTP response arrived; <see cref="AttemptResult.Code"/> is its status.</summary>
    HttpStatus,

    /// <summary>A gRPC status arrived (trailers-only response, or trailers before anything was sent on); the code is the gRPC status.</summary>
    GrpcStatus,

    /// <summary>The connection to the endpoint could not be made (refused, unreachable, TLS handshake failed): nothing was sent.</summary>
    ConnectFailure,

    /// <summary>The connection or stream was reset or closed before a response head arrived.</summary>
    Reset,

    /// <summary>The attempt exceeded <c>timeouts.backendRequest</c> (GEP-1731: cancel it, then retry after the backoff).</summary>
    BackendTimeout,
}

/// <summary>One attempt's outcome: a kind and, for statuses, the code.</summary>
public readonly record struct AttemptResult(AttemptResultKind Kind, int Code = 0)
{
    public static AttemptResult Http(int status) => new(AttemptResultKind.HttpStatus, status);

    public static AttemptResult Grpc(int status) => new(AttemptResultKind.GrpcStatus, status);

    public static AttemptResult ConnectFailure => new(AttemptResultKind.ConnectFailure);

    public static AttemptResult Reset => new(AttemptResultKind.Reset);

    public static AttemptResult BackendTimeout => new(AttemptResultKind.BackendTimeout);
}
