using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// Route churn: the HTTPRoute's weights rewritten in the manifest directory weft up watches, 10 times a second, while
/// the client sends at the scenario's rate. No request may fail: a route edit changes where requests go, never whether
/// they are answered.
/// </summary>
public sealed class RouteChurnTests(ITestOutputHelper output)
{
    private const int EditsPerSecond = 10;

    [Fact]
    public async Task Rewriting_route_weights_ten_times_a_second_under_load_fails_no_request()
    {
        await using var mesh = await SoakMesh.StartAsync(output);
        using var load = new LoadGenerator(mesh.ClientProxy, SoakMesh.CartUrl, TimeSpan.FromSeconds(2));
        using var stop = new CancellationTokenSource();
        var churn = ChurnAsync(mesh.RouteFile, stop.Token);
        var result = await load.RunAsync(Scale.Rate, Scale.Duration, CancellationToken.None);
        await stop.CancelAsync();
        var (edits, churning) = await churn;

        new Figures(output, "route-churn").Print(
            ("failed", result.Failed), ("requests", result.Requests), ("rate", $"{result.Rate:0}/s"), ("edits", edits),
            ("edit-rate", $"{edits / churning.TotalSeconds:0.#}/s"), ("p99", $"{result.P99Milliseconds:0}ms"),
            ("outcomes", result.OutcomeList), ("backends", string.Join(',', result.Backends.Select(b => $"{b.Key}:{b.Value}"))));
        Assert.True(result.Failed == 0, $"failed requests during route churn: {result.OutcomeList}");
        Assert.True(edits >= EditsPerSecond * churning.TotalSeconds * 0.8, $"only {edits} route edits in {Scale.Seconds(churning)}");
        Assert.True(mesh.UpRunning, mesh.UpOutput());
        // The edits took effect: both versions answered.
        Assert.True(result.Backends.Count >= 2, "only one backend answered: the weights never moved?");
    }

    /// <summary>Rewrites the route with new weights (0–100 for cart-v1, the rest for v2), replacing the file whole as an editor's save does.</summary>
    private static async Task<(int Edits, TimeSpan Elapsed)> ChurnAsync(string routeFile, CancellationToken ct)
    {
        var template = await File.ReadAllTextAsync(routeFile, ct);
        var temp = routeFile + ".next";
        var edits = 0;
        var clock = Stopwatch.StartNew();
        var random = new Random(15);
        while (!ct.IsCancellationRequested)
        {
            var v1 = random.Next(0, 101);
            var text = template
                .Replace("weight: 50\n        - name: cart-v2", $"weight: {v1.ToString(CultureInfo.InvariantCulture)}\n        - name: cart-v2", StringComparison.Ordinal)
                .Replace("port: 80\n          weight: 50\n      retry", $"port: 80\n          weight: {(100 - v1).ToString(CultureInfo.InvariantCulture)}\n      retry", StringComparison.Ordinal);
            // (Written beside the directory's YAML under a name it does not load, then moved over the route.)
            await File.WriteAllTextAsync(temp, text, CancellationToken.None);
            File.Move(temp, routeFile, overwrite: true);
            edits++;
            var next = TimeSpan.FromSeconds(edits / (double)EditsPerSecond) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(next, ct); // pacing the edits, not synchronisation
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        return (edits, clock.Elapsed);
    }
}
