using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>The Linkerd-style retry budget: a ratio of requests plus a floor, over a sliding window.</summary>
public sealed class RetryBudgetTests
{
    private static int Drain(RetryBudget budget)
    {
        var n = 0;
        while (budget.TryRetry())
        {
            n++;
        }

        return n;
    }

    [Fact]
    public void The_floor_allows_min_retries_per_second_times_the_window_with_no_requests()
    {
        var budget = new RetryBudget(new ManualClock());
        Assert.Equal(100, Drain(budget)); // 10/s × 10 s
    }

    [Fact]
    public void Retries_may_add_the_ratio_of_requests_on_top_of_the_floor()
    {
        var budget = new RetryBudget(new ManualClock(), new RetryBudgetOptions { MinRetriesPerSecond = 0 });
        for (var i = 0; i < 1000; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(200, Drain(budget)); // 20% of 1000
    }

    [Theory]
    [InlineData(20, 1000, 250)] // GEP-3388's words: of 1250 requests, 250 (20%) may be retries
    [InlineData(5, 400, 21)]
    [InlineData(0, 1000, 0)]
    public void A_policy_budget_lets_retries_be_percent_of_all_requests_over_its_interval(int percent, int originals, int retries)
    {
        var budget = new RetryBudget(new ManualClock(), RetryBudgetOptions.From(new Policy.RetryBudgetPolicy
        {
            Percent = percent,
            Interval = TimeSpan.FromMinutes(1),
            MinRetryCount = 1,
            MinRetryInterval = TimeSpan.FromHours(1),
            Source = "XBackendTrafficPolicy ns/p",
        }));
        for (var i = 0; i < originals; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(retries, Drain(budget));
    }

    [Fact]
    public void A_policy_budgets_minimum_retry_rate_is_its_floor()
    {
        var budget = new RetryBudget(new ManualClock(), RetryBudgetOptions.From(new Policy.RetryBudgetPolicy
        {
            Percent = 0,
            Interval = TimeSpan.FromSeconds(10),
            MinRetryCount = 10,
            MinRetryInterval = TimeSpan.FromSeconds(1),
            Source = "XBackendTrafficPolicy ns/p",
        }));

        Assert.Equal(100, Drain(budget)); // 10 a second over the 10 s interval, with no requests at all
    }

    [Fact]
    public void The_window_slides_old_requests_and_retries_stop_counting()
    {
        var clock = new ManualClock();
        var budget = new RetryBudget(clock, new RetryBudgetOptions { MinRetriesPerSecond = 0, RetryRatio = 0.5 });
        for (var i = 0; i < 10; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(5, Drain(budget));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, Drain(budget)); // still inside the window
        for (var i = 0; i < 10; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(5, Drain(budget)); // 20 requests, 5 retries so far: 5 more
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal((10, 5), budget.Totals()); // the first second's counts have slid out
        Assert.Equal(0, Drain(budget));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal((0, 0), budget.Totals());
    }

    [Fact]
    public void It_is_safe_to_use_from_many_threads()
    {
        var budget = new RetryBudget(new ManualClock(), new RetryBudgetOptions { MinRetriesPerSecond = 0 });
        Parallel.For(0, 10_000, _ => budget.RecordRequest());
        Assert.Equal((10_000, 0), budget.Totals());
        var allowed = 0;
        Parallel.For(0, 4_000, _ =>
        {
            if (budget.TryRetry())
            {
                Interlocked.Increment(ref allowed);
            }
        });
        Assert.InRange(allowed, 2_000, 2_010); // concurrent callers may overshoot by a few
    }
}
