using System.Net;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Resilience;

/// <summary>GEP-1731 retries through a real sidecar, counting the attempts the backends saw (gamma-spec J).</summary>
public sealed class RetryTests
{
    private static RulePolicy Retrying(int attempts, int[] codes, params BackendPolicy[] backends) =>
        Policies.Rule(backends: backends) with
        {
            Retry = new RetryPolicy { Attempts = attempts, Codes = codes, Backoff = TimeSpan.FromMilliseconds(1) },
        };

    private static Func<HttpContext, int, Task> FailFirst(int failures, int status) => (context, n) =>
    {
        context.Response.StatusCode = n <= failures ? status : StatusCodes.Status200OK;
        context.Response.Headers["x-attempt"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsync(n <= failures ? "failed" : "ok");
    };

    [Fact]
    public async Task Attempts_3_codes_500_succeeds_after_2_failures()
    {
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = FailFirst(2, 500);
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(3, [500], Policies.Backend(backend))])));

        var (response, _) = await mesh.GetAsync("http://web/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("x-attempt").Single());
        Assert.Equal(3, backend.Count);
    }

    [Fact]
    public async Task Attempts_3_codes_500_returns_the_original_500_when_more_retries_would_be_needed()
    {
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = FailFirst(10, 500);
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(3, [500], Policies.Backend(backend))])));

        var (response, _) = await mesh.GetAsync("http://web/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("failed", await response.Content.ReadAsStringAsync());
        Assert.Equal("4", response.Headers.GetValues("x-attempt").Single()); // the last try's own answer, 1 + 3 retries
        Assert.Equal(4, backend.Count);
    }

    [Fact]
    public async Task A_503_not_in_the_codes_is_not_retried()
    {
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = FailFirst(10, 503);
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(3, [500], Policies.Backend(backend))])));

        var (response, _) = await mesh.GetAsync("http://web/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, backend.Count);
    }

    [Fact]
    public async Task A_budget_of_5_percent_limits_retries_under_an_always_failing_backend_and_answers_503_past_it()
    {
        // GEP-3388 through a real sidecar: budget 5% over a minute, a floor of 1 retry an hour (about none).
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = FailFirst(int.MaxValue, 500);
        var budget = new RetryBudgetPolicy
        {
            Percent = 5,
            Interval = TimeSpan.FromMinutes(1),
            MinRetryCount = 1,
            MinRetryInterval = TimeSpan.FromHours(1),
            Source = "XBackendTrafficPolicy default/web-budget",
        };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(3, [500], Policies.Backend(backend) with { RetryBudget = budget })])));

        var statuses = new List<HttpStatusCode>();
        string? refusal = null;
        for (var i = 0; i < 400; i++)
        {
            var (response, _) = await mesh.GetAsync("http://web/");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refusal ??= await response.Content.ReadAsStringAsync();
            }
        }

        // Retries ≤ 5% of all requests: 5/95 of the 400 originals (21), plus the floor's share and a request in flight.
        var retries = backend.Count - 400;
        Assert.InRange(retries, 1, 23);
        Assert.Equal(400, statuses.Count(s => s is HttpStatusCode.ServiceUnavailable or HttpStatusCode.InternalServerError));
        Assert.True(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable) > 300, string.Join(",", statuses.GroupBy(s => s).Select(g => $"{g.Key}={g.Count()}")));
        Assert.Contains("retry budget exhausted (XBackendTrafficPolicy default/web-budget: 5% of requests over 60 s", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_retry_stanza_nothing_is_retried()
    {
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = FailFirst(10, 500);
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Policies.Rule(backends: Policies.Backend(backend))])));

        var (response, _) = await mesh.GetAsync("http://web/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, backend.Count);
    }

    [Fact]
    public async Task A_retry_goes_to_another_endpoint_and_replays_a_small_body()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        a.RecordBodies = b.RecordBodies = true;
        var first = 0;
        Func<HttpContext, int, Task> failOnce = (context, _) =>
        {
            var failing = Interlocked.Exchange(ref first, 1) == 0;
            context.Response.StatusCode = failing ? 500 : 200;
            return context.Response.WriteAsync(failing ? "failed" : "ok");
        };
        a.Handler = b.Handler = failOnce;
        var backend = Policies.Backend("web", 1, null, a, b);
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(1, [500], backend)])));

        var response = await mesh.Client.PostAsync("http://web/", new StringContent("the body"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, a.Count);
        Assert.Equal(1, b.Count); // the retry went to the endpoint not tried yet
        Assert.Equal("the body", a.Bodies.Single());
        Assert.Equal("the body", b.Bodies.Single());
    }

    [Fact]
    public async Task A_connect_failure_is_retried_on_another_endpoint()
    {
        await using var live = await TestBackend.StartAsync("live");
        // Without mTLS every endpoint is reached through its sidecar's inbound port; nothing listens on 127.0.0.9.
        var dead = new EndpointPolicy { Address = "127.0.0.9", Port = 1, Pod = "default/dead" };
        var backend = Policies.Backend(live) with { Endpoints = [dead, .. Policies.Backend(live).Endpoints] };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(2, [], backend)])));

        for (var i = 0; i < 5; i++)
        {
            var (response, _) = await mesh.GetAsync("http://web/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_retry_budget_caps_retries_under_a_failing_backend()
    {
        await using var backend = await TestBackend.StartAsync("web");
        backend.Handler = (context, _) =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        await using var mesh = await TestMesh.StartAsync(("web:80", Policies.Service("web", 80, [Retrying(3, [500], Policies.Backend(backend))])));

        const int Requests = 1000;
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Requests)
            {
                using var response = await mesh.Client.GetAsync("http://web/");
                Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            }
        }));

        // Default budget: 20% of requests + 10/s over a 10 s window (100): without it, 3000 retries would be made.
        var retries = backend.Count - Requests;
        Assert.InRange(retries, 1, (int)(0.2 * Requests) + 100 + 8);
    }
}
