using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// An endpoint killed under load with retries on (the route retries 502/503/504 and connection failures twice): a third
/// of the way into the load, both processes of one cart-v1 pod get SIGKILL. At least 99.9% of requests must succeed,
/// and the client sidecar's retries (its <c>weft_retries_total{verdict="retry"}</c>) must stay within the retry budget
/// (docs/resilience.md: 20% of the requests plus 10 a second).
/// </summary>
public sealed class EndpointKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_an_endpoint_under_load_with_retries_keeps_success_at_99_9_percent_within_the_retry_budget()
    {
        await using var mesh = await SoakMesh.StartAsync(output);
        var victim = mesh.Pods("cart-v1").First();
        var processes = mesh.ProcessesOf(victim);
        Assert.Equal(2, processes.Count);
        var before = await SoakMesh.AdminAsync(mesh.Client, "/metrics");

        using var load = new LoadGenerator(mesh.ClientProxy, SoakMesh.CartUrl, TimeSpan.FromSeconds(2));
        var running = load.RunAsync(Scale.Rate, Scale.Duration, CancellationToken.None);
        await Task.Delay(Scale.Duration / 3); // when to kill, in the load's own time: not synchronisation
        foreach (var process in processes)
        {
            System.Diagnostics.Process.GetProcessById(process.Pid).Kill();
        }

        var result = await running;
        var after = await SoakMesh.AdminAsync(mesh.Client, "/metrics");
        var retries = SoakMesh.Counter(after, "weft_retries_total", "verdict=\"retry\"", "dst_service=\"cart\"")
            - SoakMesh.Counter(before, "weft_retries_total", "verdict=\"retry\"", "dst_service=\"cart\"");
        var refused = SoakMesh.Counter(after, "weft_retries_total", "verdict=\"budget_exhausted\"", "dst_service=\"cart\"")
            - SoakMesh.Counter(before, "weft_retries_total", "verdict=\"budget_exhausted\"", "dst_service=\"cart\"");
        var requests = SoakMesh.Counter(after, "weft_requests_total", "direction=\"outbound\"", "dst_service=\"cart\"")
            - SoakMesh.Counter(before, "weft_requests_total", "direction=\"outbound\"", "dst_service=\"cart\"");
        // The budget over the run: 20% of the requests plus 10 a second (a little slack: concurrent retries may overshoot by a few).
        var budget = (0.2 * requests) + (10 * result.Sending.TotalSeconds) + 10;

        new Figures(output, "endpoint-kill").Print(
            ("success", $"{result.SuccessRatio * 100:0.###}%"), ("failed", result.Failed), ("requests", result.Requests),
            ("rate", $"{result.Rate:0}/s"), ("retries", retries), ("retry-budget", Math.Floor(budget)), ("budget-refused", refused),
            ("p99", $"{result.P99Milliseconds:0}ms"), ("outcomes", result.OutcomeList));
        Assert.True(result.SuccessRatio >= 0.999, $"success {result.SuccessRatio:P3} < 99.9%: {result.OutcomeList}");
        Assert.True(retries > 0, "no retry counted: was the endpoint killed while requests went to it?");
        Assert.True(retries <= budget, $"{retries} retries over a budget of {budget:0}");
    }
}
