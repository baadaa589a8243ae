using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>GEP-1731 (gamma-spec J), one test per rule.</summary>
public sealed class RetryDecisionTests
{
    private static readonly RetryPolicy Retry500x3 = new() { Codes = [500], Attempts = 3 };
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(25);

    private static RetryVerdict Decide(RetryPolicy? policy, int done, AttemptResult result, bool replayable = true, TimeSpan? left = null) =>
        RetryDecision.Decide(policy, done, result, replayable, left, Wait);

    [Fact]
    public void No_retry_stanza_means_no_retries() =>
        Assert.Equal(RetryVerdict.NoPolicy, Decide(null, 0, AttemptResult.Http(500)));

    [Fact]
    public void Listed_codes_are_retried_and_others_are_not()
    {
        Assert.Equal(RetryVerdict.Retry, Decide(Retry500x3, 0, AttemptResult.Http(500)));
        Assert.Equal(RetryVerdict.NotRetryable, Decide(Retry500x3, 0, AttemptResult.Http(503))); // HTTPRouteRetry: a 503 not listed
        Assert.Equal(RetryVerdict.NotRetryable, Decide(Retry500x3, 0, AttemptResult.Http(200)));
    }

    [Fact]
    public void Attempts_is_the_number_of_retries_not_of_tries()
    {
        Assert.Equal(RetryVerdict.Retry, Decide(Retry500x3, 2, AttemptResult.Http(500)));
        Assert.Equal(RetryVerdict.AttemptsExhausted, Decide(Retry500x3, 3, AttemptResult.Http(500)));
    }

    [Fact]
    public void Connection_errors_are_retried_when_a_retry_stanza_is_present()
    {
        var codesOnly = new RetryPolicy { Codes = [503] };
        Assert.Equal(RetryVerdict.Retry, Decide(codesOnly, 0, AttemptResult.ConnectFailure));
        Assert.Equal(RetryVerdict.Retry, Decide(codesOnly, 0, AttemptResult.Reset));
        Assert.Equal(RetryVerdict.Retry, Decide(codesOnly, 0, AttemptResult.BackendTimeout));
    }

    [Fact]
    public void A_body_that_cannot_be_replayed_is_not_retried_unless_nothing_was_sent()
    {
        Assert.Equal(RetryVerdict.BodyNotReplayable, Decide(Retry500x3, 0, AttemptResult.Http(500), replayable: false));
        Assert.Equal(RetryVerdict.BodyNotReplayable, Decide(Retry500x3, 0, AttemptResult.Reset, replayable: false));
        Assert.Equal(RetryVerdict.Retry, Decide(Retry500x3, 0, AttemptResult.ConnectFailure, replayable: false));
    }

    [Fact]
    public void Never_beyond_the_request_timeout()
    {
        Assert.Equal(RetryVerdict.NoTimeLeft, Decide(Retry500x3, 0, AttemptResult.Http(500), left: TimeSpan.FromMilliseconds(25)));
        Assert.Equal(RetryVerdict.NoTimeLeft, Decide(Retry500x3, 0, AttemptResult.Http(500), left: TimeSpan.Zero));
        Assert.Equal(RetryVerdict.Retry, Decide(Retry500x3, 0, AttemptResult.Http(500), left: TimeSpan.FromMilliseconds(26)));
    }

    [Fact]
    public void gRPC_statuses_are_retried_by_the_annotation_codes()
    {
        var grpc = new RetryPolicy { GrpcCodes = [GrpcStatusCodes.Unavailable] };
        Assert.Equal(RetryVerdict.Retry, Decide(grpc, 0, AttemptResult.Grpc(GrpcStatusCodes.Unavailable)));
        Assert.Equal(RetryVerdict.NotRetryable, Decide(grpc, 0, AttemptResult.Grpc(GrpcStatusCodes.Internal)));
        Assert.Equal(RetryVerdict.NotRetryable, Decide(grpc, 0, AttemptResult.Grpc(GrpcStatusCodes.Ok)));
    }

    [Fact]
    public void The_budget_is_consulted_last_and_can_refuse()
    {
        var clock = new ManualClock();
        var budget = new RetryBudget(clock, new RetryBudgetOptions { RetryRatio = 0, MinRetriesPerSecond = 0 });
        Assert.Equal(RetryVerdict.NotRetryable, RetryDecision.Decide(Retry500x3, 0, AttemptResult.Http(200), true, null, Wait, budget));
        Assert.Equal(RetryVerdict.BudgetExhausted, RetryDecision.Decide(Retry500x3, 0, AttemptResult.Http(500), true, null, Wait, budget));
    }
}
