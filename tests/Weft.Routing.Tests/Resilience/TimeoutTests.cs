using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>GEP-1742 (gamma-spec I) and the grpc-timeout header.</summary>
public sealed class TimeoutTests
{
    private static readonly TimeSpan S1 = TimeSpan.FromSeconds(1);

    [Fact]
    public void Zero_disables_a_timeout_and_unset_means_none()
    {
        var clock = new ManualClock();
        var d = RequestDeadline.Start(new TimeoutPolicy { Request = TimeSpan.Zero, BackendRequest = TimeSpan.Zero }, null, clock);
        Assert.Null(d.Request);
        Assert.Null(d.Remaining());
        Assert.Null(d.NextAttemptTimeout());
        Assert.False(d.IsExpired);
        Assert.Null(RequestDeadline.Start(null, null, clock).Request);
    }

    [Fact]
    public void The_request_timeout_bounds_the_whole_request_including_retries()
    {
        var clock = new ManualClock();
        var d = RequestDeadline.Start(new TimeoutPolicy { Request = S1, BackendRequest = TimeSpan.FromMilliseconds(400) }, null, clock);
        Assert.Equal(TimeSpan.FromMilliseconds(400), d.NextAttemptTimeout());
        clock.Advance(TimeSpan.FromMilliseconds(800));
        Assert.Equal(TimeSpan.FromMilliseconds(200), d.NextAttemptTimeout()); // the last attempt gets only what is left
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(d.IsExpired);
        Assert.Equal(TimeSpan.Zero, d.Remaining());
    }

    [Fact]
    public void BackendRequest_applies_per_attempt_without_a_request_timeout()
    {
        var clock = new ManualClock();
        var d = RequestDeadline.Start(new TimeoutPolicy { BackendRequest = S1 }, null, clock);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(S1, d.NextAttemptTimeout());
        Assert.False(d.IsExpired);
    }

    [Fact]
    public void Grpc_timeout_tightens_but_never_loosens_the_request_timeout()
    {
        var clock = new ManualClock();
        Assert.Equal(TimeSpan.FromMilliseconds(100), RequestDeadline.Start(new TimeoutPolicy { Request = S1 }, TimeSpan.FromMilliseconds(100), clock).Request);
        Assert.Equal(S1, RequestDeadline.Start(new TimeoutPolicy { Request = S1 }, TimeSpan.FromSeconds(5), clock).Request);
        Assert.Equal(TimeSpan.FromSeconds(5), RequestDeadline.Start(null, TimeSpan.FromSeconds(5), clock).Request);
    }

    [Theory]
    [InlineData("100m", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1H", TimeSpan.TicksPerHour)]
    [InlineData("2M", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("3S", 3 * TimeSpan.TicksPerSecond)]
    [InlineData("250u", 250 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("500n", 5)]
    [InlineData("99999999S", 99_999_999 * TimeSpan.TicksPerSecond)]
    public void GrpcTimeout_parses_every_unit(string text, long ticks) => Assert.Equal(TimeSpan.FromTicks(ticks), GrpcTimeout.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("100")]
    [InlineData("m")]
    [InlineData("100x")]
    [InlineData("-1S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void GrpcTimeout_rejects_malformed_values(string text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Fact]
    public void GrpcTimeout_formats_in_the_finest_unit_that_fits_rounding_up()
    {
        Assert.Equal("0n", GrpcTimeout.Format(TimeSpan.Zero));
        Assert.Equal("500n", GrpcTimeout.Format(TimeSpan.FromTicks(5)));
        Assert.Equal("10000000n", GrpcTimeout.Format(TimeSpan.FromMilliseconds(10)));
        Assert.Equal("100000u", GrpcTimeout.Format(TimeSpan.FromMilliseconds(100)));
        Assert.Equal("3600000m", GrpcTimeout.Format(TimeSpan.FromHours(1)));
        Assert.Equal("200001m", GrpcTimeout.Format(TimeSpan.FromSeconds(200) + TimeSpan.FromTicks(1))); // never shorter than ours
    }
}
