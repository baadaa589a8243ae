namespace Weft.Routing.Resilience;

/// <summary>What <see cref="RetryDecision.Decide"/> concluded; everything but <see cref="Retry"/> means "return this attempt's result".</summary>
public enum RetryVerdict
{
    Retry,

    /// <summary>The rule has no retry stanza (and no gRPC retry annotation).</summary>
    NoPolicy,

    /// <summary>The outcome is not one the policy retries (a success, or a code not listed).</summary>
    NotRetryable,

    /// <summary><c>attempts</c> retries have been made already (GEP-1731: attempts counts retries, not tries).</summary>
    AttemptsExhausted,

    /// <summary>The request body was (partly) sent and cannot be sent again (streamed, too large to buffer).</summary>
    BodyNotReplayable,

    /// <summary>The request timeout would expire before the retry could start (GEP-1731: never beyond <c>timeouts.request</c>).</summary>
    NoTimeLeft,

    /// <summary>The destination's <see cref="RetryBudget"/> has no room for another retry.</summary>
    BudgetExhausted,
}
