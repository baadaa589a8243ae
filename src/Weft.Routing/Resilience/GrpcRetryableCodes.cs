using Weft.Routing.Planning;

namespace Weft.Routing.Resilience;

/// <summary>
/// Weft's gRPC retry policy, carried by GRPCRoute annotations (GRPCRoute has no <c>retry</c> field; docs/resilience.md):
/// <c>retry.weft.dev/grpc-codes: unavailable,deadline-exceeded</c>, optionally <c>retry.weft.dev/attempts</c> and
/// <c>retry.weft.dev/backoff</c> (GEP-1731 meanings). The codes are those Envoy's <c>retry-on</c> knows for gRPC.
/// </summary>
public static class GrpcRetryableCodes
{
    public const string CodesAnnotation = "retry.weft.dev/grpc-codes";
    public const string AttemptsAnnotation = "retry.weft.dev/attempts";
    public const string BackoffAnnotation = "retry.weft.dev/backoff";

    /// <summary>The gRPC statuses that may be listed: each says the call may succeed when tried again.</summary>
    public static readonly IReadOnlyList<int> Allowed =
    [
        GrpcStatusCodes.Cancelled, GrpcStatusCodes.DeadlineExceeded, GrpcStatusCodes.ResourceExhausted,
        GrpcStatusCodes.Internal, GrpcStatusCodes.Unavailable,
    ];

    /// <summary>
    /// Parses a comma-separated list of status names (kebab or canonical form, any case): the codes, or null with
    /// <paramref name="error"/> saying what is wrong.
    /// </summary>
    public static IReadOnlyList<int>? Parse(string? text, out string? error)
    {
        error = null;
        var codes = new List<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!GrpcStatusCodes.TryParse(part, out var code) || !Allowed.Contains(code))
            {
                error = $"'{part}' is not a retryable gRPC status (one of {string.Join(", ", Allowed.Select(Kebab))})";
                return null;
            }

            if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }

        if (codes.Count == 0)
        {
            error = "no gRPC status listed";
            return null;
        }

        return codes;
    }

    /// <summary>The annotation form of a status name: <c>deadline-exceeded</c>.</summary>
    public static string Kebab(int code) => GrpcStatusCodes.Name(code).Replace('_', '-').ToLowerInvariant();
}
