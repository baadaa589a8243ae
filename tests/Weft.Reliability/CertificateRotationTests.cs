using System.Text.Json;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// Certificate rotation under load: weft up issues workload certificates valid for <see cref="Lifetime"/> (its
/// <c>--workload-cert-lifetime</c>), so every sidecar renews at half of it, with a new key, while the client sends. No
/// request may fail, and every sidecar on the path must have rotated during the load.
/// </summary>
public sealed class CertificateRotationTests(ITestOutputHelper output)
{
    /// <summary>The shortest lifetime weft up takes; renewal every 5 s.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Rotating_short_lived_workload_certificates_under_load_fails_no_request()
    {
        await using var mesh = await SoakMesh.StartAsync(output, "--workload-cert-lifetime", ((int)Lifetime.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var sidecars = mesh.State.Pods.Where(p => p.HasSidecar).ToList();
        var serials = sidecars.ToDictionary(p => p.Name, _ => new HashSet<string>(StringComparer.Ordinal));
        using var stop = new CancellationTokenSource();
        var watch = WatchSerialsAsync(sidecars, serials, stop.Token);

        // At least two renewals of each sidecar fall inside the load, whatever the scale.
        var duration = Scale.Duration > 3 * Lifetime ? Scale.Duration : 3 * Lifetime;
        using var load = new LoadGenerator(mesh.ClientProxy, SoakMesh.CartUrl, TimeSpan.FromSeconds(2));
        var result = await load.RunAsync(Scale.Rate, duration, CancellationToken.None);
        await stop.CancelAsync();
        await watch;

        var rotations = serials.Values.Select(s => s.Count - 1).ToList();
        new Figures(output, "cert-rotation").Print(
            ("failed", result.Failed), ("requests", result.Requests), ("rate", $"{result.Rate:0}/s"), ("lifetime", Scale.Seconds(Lifetime)),
            ("min-rotations-per-sidecar", rotations.Min()), ("rotations", rotations.Sum()), ("p99", $"{result.P99Milliseconds:0}ms"),
            ("outcomes", result.OutcomeList));
        Assert.True(result.Failed == 0, $"failed requests during rotation: {result.OutcomeList}");
        Assert.True(rotations.Min() >= 2, "a sidecar did not renew twice during the load: " + string.Join(", ", serials.Select(s => $"{s.Key}:{s.Value.Count}")));
    }

    /// <summary>Reads each sidecar's certificate serial (admin <c>/identity</c>) every 200 ms.</summary>
    private static async Task WatchSerialsAsync(List<Weft.Cli.Local.PodState> sidecars, Dictionary<string, HashSet<string>> serials, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        do
        {
            foreach (var pod in sidecars)
            {
                try
                {
                    using var identity = JsonDocument.Parse(await SoakMesh.AdminAsync(pod, "/identity"));
                    if (identity.RootElement.TryGetProperty("serial", out var serial))
                    {
                        serials[pod.Name].Add(serial.GetString()!);
                    }
                }
                catch (HttpRequestException)
                {
                    // Counted by the load, not here.
                }
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
