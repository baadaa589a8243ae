using Weft.Routing.Policy;

namespace Weft.Routing.Resilience;

/// <summary>
/// Whether to retry after an attempt (GEP-1731, gamma-spec J). Pure: the caller supplies the attempt count, the time left
/// and the backoff it would wait, and calls it after every failed-looking attempt.
/// </summary>
public static class RetryDecision
{
    /// <param name="policy">The matched rule's retry policy; null means no retries at all.</param>
    /// <param name="retriesDone">Retries already made for this request (0 after the first try).</param>
    /// <param name="result">How the attempt just made ended.</param>
    /// <param name="bodyReplayable">Whether the request body can be sent again (no body, or fully buffered).</param>
    /// <param name="timeLeft">What is left of the request timeout (<see cref="RequestDeadline.Remaining"/>); null when unbounded.</param>
    /// <param name="backoff">The wait before the retry (<see cref="Backoff.Delay"/>).</param>
    /// <param name="budget">The destination's retry budget; consulted (and charged) only when everything else says retry.</param>
    public static RetryVerdict Decide(
        RetryPolicy? policy, int retriesDone, AttemptResult result, bool bodyReplayable, TimeSpan? timeLeft, TimeSpan backoff, RetryBudget? budget = null)
    {
        if (policy is null)
        {
            return RetryVerdict.NoPolicy;
        }

        if (!IsRetryable(policy, result))
        {
            return RetryVerdict.NotRetryable;
        }

        if (retriesDone >= policy.Attempts)
        {
            return RetryVerdict.AttemptsExhausted;
        }

        // A connect failure sent nothing, so even a streamed body is still whole and can go to another endpoint.
        if (!bodyReplayable && result.Kind != AttemptResultKind.ConnectFailure)
        {
            return RetryVerdict.BodyNotReplayable;
        }

        // GEP-1731: the whole request, retries included, stays within timeouts.request; a retry that could only start
        // at or after the deadline is pointless.
        if (timeLeft is { } left && left <= backoff)
        {
            return RetryVerdict.NoTimeLeft;
        }

        if (budget is not null && !budget.TryRetry())
        {
            return RetryVerdict.BudgetExhausted;
        }

        return RetryVerdict.Retry;
    }

    /// <summary>
    /// GEP-1731: the listed HTTP codes; with a retry stanza present, connection errors (connect failure, reset, backend
    /// timeout) too; for gRPC, the listed gRPC codes (<see cref="RetryPolicy.GrpcCodes"/>).
    /// </summary>
    public static bool IsRetryable(RetryPolicy policy, AttemptResult result)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return result.Kind switch
        {
            AttemptResultKind.HttpStatus => Contains(policy.Codes, result.Code),
            AttemptResultKind.GrpcStatus => Contains(policy.GrpcCodes, result.Code),
            _ => true,
        };
    }

    private static bool Contains(IReadOnlyList<int> codes, int code)
    {
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] == code)
            {
                return true;
            }
        }

        return false;
    }
}
