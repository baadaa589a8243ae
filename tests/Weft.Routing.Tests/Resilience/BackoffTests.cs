using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>GEP-1731 backoff: never shorter than asked; exponential with jitter and a cap.</summary>
public sealed class BackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(40)]
    public void Never_shorter_than_the_configured_minimum(int retry)
    {
        Assert.Equal(Min, Backoff.Delay(Min, retry, 0.0));
        Assert.True(Backoff.Delay(Min, retry, 0.5) >= Min);
    }

    [Fact]
    public void The_ceiling_doubles_per_retry()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), Backoff.Delay(Min, 1, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(400), Backoff.Delay(Min, 2, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(800), Backoff.Delay(Min, 3, 1.0));
    }

    [Fact]
    public void Capped_at_ten_times_the_minimum_or_the_given_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Delay(Min, 30, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(300), Backoff.Delay(Min, 30, 1.0, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(Min, Backoff.Delay(Min, 3, 1.0, TimeSpan.FromMilliseconds(10))); // a cap below the minimum never shortens it
    }

    [Fact]
    public void Full_jitter_is_deterministic_given_the_random_draw()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(150), Backoff.Delay(Min, 1, 0.5));
        Assert.Equal(Backoff.Delay(Min, 2, 0.3), Backoff.Delay(Min, 2, 0.3));
    }

    [Fact]
    public void Unset_backoff_uses_25ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(25), Backoff.Delay(null, 1, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(250), Backoff.Delay(null, 10, 1.0));
    }
}
