using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// The control plane killed and restarted under load: <c>weft up --control-plane process</c> runs it as a child process,
/// which gets SIGKILL (short form: at 3 s and 6 s of a 9 s load; full form: every 10 s for 60 s of a 70 s load) and which weft up restarts on
/// the same address (the kills keep their schedule; the time until every sidecar holds its streams again is measured
/// after the last one). No request to the known destination may fail (the proxies serve from their last-known-good
/// policy), every sidecar's streams come back (the restarted control plane trusts their tokens, they still trust its
/// certificate), and a route edit made after the restarts reaches the client (no proxy is stuck on the old snapshot).
/// </summary>
public sealed class ControlPlaneKillTests(ITestOutputHelper output)
{
    private static int Kills => Scale.Full ? 6 : 2;

    private static TimeSpan KillEvery => Scale.Full ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(3);

    /// <summary>The load outlasts the last kill by one interval, so that the last restart happens under load too.</summary>
    private static TimeSpan LoadDuration => Scale.Duration > KillEvery * (Kills + 1) ? Scale.Duration : KillEvery * (Kills + 1);

    private static readonly TimeSpan Resubscribe = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Killing_the_control_plane_under_load_fails_no_request_and_a_route_edit_after_the_restarts_reaches_the_client()
    {
        await using var mesh = await SoakMesh.StartAsync(output, "--control-plane", "process");
        var streams = await Weft.Tests.Shared.Eventually.ValueAsync(mesh.ControlPlaneStreamsAsync, n => n >= 4, "every sidecar's streams on the control plane", Resubscribe);

        using var load = new LoadGenerator(mesh.ClientProxy, SoakMesh.CartUrl, TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        var running = load.RunAsync(Scale.Rate, LoadDuration, CancellationToken.None);
        var restarted = new List<double>();
        var killed = Stopwatch.StartNew();
        for (var kill = 1; kill <= Kills; kill++)
        {
            var at = KillEvery * kill;
            if (at > clock.Elapsed)
            {
                await Task.Delay(at - clock.Elapsed); // when to kill, in the load's own time: not synchronisation
            }

            // The next kill comes on schedule, whether or not the sidecars are back on the last incarnation yet.
            var victim = mesh.ControlPlanePid() ?? throw new InvalidOperationException("no control plane process: " + mesh.UpOutput());
            killed.Restart();
            Process.GetProcessById(victim).Kill();
            await Weft.Tests.Shared.Eventually.TrueAsync(() => mesh.ControlPlanePid() is { } pid && pid != victim, "the control plane restarted", Resubscribe);
            restarted.Add(killed.Elapsed.TotalMilliseconds);
        }

        // Back when the last incarnation serves and holds as many streams as before the kills: every sidecar resubscribed.
        await Weft.Tests.Shared.Eventually.ValueAsync(mesh.ControlPlaneStreamsAsync, n => n >= streams, $"{streams} streams back after the last kill", Resubscribe);
        var resubscribed = killed.Elapsed;
        var result = await running;
        // Every exit weft up saw it restarts from ("exited …; restarting it"); a kill during a start shows as an exit
        // without a "restarted" line of its own, so the serving restarts may be fewer than the kills.
        var lines = mesh.UpOutput().Split('\n');
        var restarts = lines.Count(l => l.Contains("control plane (pid", StringComparison.Ordinal) && l.Contains("restarting it", StringComparison.Ordinal));
        var served = lines.Count(l => l.Contains("control plane restarted", StringComparison.Ordinal));

        // A route edit after the restarts: everything to cart-v2. The client's sidecar must follow it.
        var edited = Stopwatch.StartNew();
        var route = await File.ReadAllTextAsync(mesh.RouteFile);
        var allToV2 = route
            .Replace("weight: 50\n        - name: cart-v2", "weight: 0\n        - name: cart-v2", StringComparison.Ordinal);
        Assert.NotEqual(route, allToV2);
        await File.WriteAllTextAsync(mesh.RouteFile + ".next", allToV2);
        File.Move(mesh.RouteFile + ".next", mesh.RouteFile, overwrite: true);
        await FollowsAsync(mesh, "cart-v2");
        var followed = edited.Elapsed;

        new Figures(output, "control-plane-kill").Print(
            ("failed", result.Failed), ("requests", result.Requests), ("rate", $"{result.Rate:0}/s"), ("kills", Kills), ("restarts", restarts), ("serving-restarts", served),
            ("restarted-after", string.Join(',', restarted.Select(r => r.ToString("0", CultureInfo.InvariantCulture) + "ms"))),
            ("resubscribed-after-last-kill", $"{resubscribed.TotalMilliseconds:0}ms"), ("streams", streams ?? 0),
            ("route-edit-followed", $"{followed.TotalMilliseconds:0}ms"), ("p99", $"{result.P99Milliseconds:0}ms"), ("outcomes", result.OutcomeList));
        Assert.True(result.Failed == 0, $"failed requests while the control plane was killed: {result.OutcomeList}");
        Assert.True(restarts >= Kills && served >= 1, $"{restarts} restarts ({served} serving) for {Kills} kills: {mesh.UpOutput()}");
        Assert.True(mesh.UpRunning, mesh.UpOutput());
    }

    /// <summary>Until 20 requests in a row through the client's sidecar are answered by <paramref name="deployment"/>.</summary>
    private static async Task FollowsAsync(SoakMesh mesh, string deployment)
    {
        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new System.Net.WebProxy(mesh.ClientProxy), UseProxy = true }) { Timeout = TimeSpan.FromSeconds(10) };
        var inARow = 0;
        await Weft.Tests.Shared.Eventually.ValueAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(SoakMesh.CartUrl);
                    var backend = LoadGenerator.Backend(await response.Content.ReadAsStringAsync());
                    // (Backend names the answering pod's ReplicaSet: the Deployment's name and its template hash.)
                    return inARow = response.IsSuccessStatusCode && backend is not null && backend.StartsWith(deployment + "-", StringComparison.Ordinal) ? inARow + 1 : 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return inARow = 0;
                }
            },
            n => n >= 20,
            $"20 requests in a row answered by {deployment} after the route edit",
            TimeSpan.FromSeconds(60));
    }
}
