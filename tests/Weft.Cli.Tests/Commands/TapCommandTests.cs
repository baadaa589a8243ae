using System.Net;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft tap</c> and <c>weft top</c> end to end (issue 16): a local mesh of real sidecars (strict mTLS), traffic from
/// one pod to another's Service, and the commands run as their own processes, reading through the control plane with
/// the admin credential of the state file.
/// </summary>
public sealed class TapCommandTests(TapMeshFixture fixture) : IClassFixture<TapMeshFixture>
{
    [Fact]
    public async Task Weft_tap_prints_the_requests_a_workloads_sidecars_complete_with_both_identities()
    {
        var tap = WeftAsync(["tap", "deploy/web", "-n", "tapns", "--path", "/tapped", "--max", "2"]);
        await SendUntilAsync(tap, "/tapped/1");

        var run = await tap;
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line =>
        {
            Assert.Contains(" inbound GET ", line, StringComparison.Ordinal);
            Assert.Contains("/tapped/1 :status=200 ", line, StringComparison.Ordinal);
            Assert.Contains("src_id=spiffe://cluster.local/ns/tapns/sa/client", line, StringComparison.Ordinal);
            Assert.Contains(" dst=tapns/web ", line, StringComparison.Ordinal);
            Assert.Contains("dst_id=spiffe://cluster.local/ns/tapns/sa/web", line, StringComparison.Ordinal);
            Assert.Contains($"pod=tapns/{fixture.Pod("web").Name}", line, StringComparison.Ordinal);
        });
        Assert.DoesNotContain("/other", run.Stdout, StringComparison.Ordinal); // filtered in the sidecar
    }

    [Fact]
    public async Task Weft_top_once_shows_the_busiest_paths_from_the_client_side()
    {
        var top = WeftAsync(["top", "deploy/client", "-n", "tapns", "--once", "--max", "10", "--duration", "15"]);
        await SendUntilAsync(top, "/busy");

        var run = await top;
        Assert.True(run.ExitCode == 0, run.Stderr);
        var row = run.Stdout.Split('\n').FirstOrDefault(l => l.Contains("/busy", StringComparison.Ordinal));
        Assert.True(row is not null, run.Stdout);
        Assert.StartsWith("tapns/client ", row, StringComparison.Ordinal);
        Assert.Contains("svc/tapns/web ", row, StringComparison.Ordinal);
        Assert.Contains("100.00%", row, StringComparison.Ordinal);
        Assert.Contains("/other", run.Stdout, StringComparison.Ordinal); // no filter: both paths are rows
    }

    [Fact]
    public async Task Tapping_a_deployment_that_does_not_exist_says_so()
    {
        var run = await WeftAsync(["tap", "deploy/nosuch", "-n", "tapns"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no running pods of deployment tapns/nosuch", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tap_without_a_running_mesh_says_so()
    {
        var run = await WeftAsync(["tap", "deploy/web", "--state", Path.Combine(fixture.Work, "none.json")], mesh: false);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("weft tap: ", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Requests from the client pod (through its sidecar) to the web Service until <paramref name="done"/> ends.</summary>
    private async Task SendUntilAsync(Task done, string path)
    {
        var web = fixture.Mesh.State().Services.Single(s => s.Namespace == "tapns" && s.Name == "web").ClusterIP;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://{fixture.Pod("client").IP}:{SidecarPorts.Default.Outbound}"),
            UseProxy = true,
        });
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!done.IsCompleted)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the command did not end within 30 s of traffic");
            using var other = await http.GetAsync(new Uri($"http://{web}/other"));
            using var response = await http.GetAsync(new Uri($"http://{web}{path}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private Task<CommandRun> WeftAsync(IReadOnlyList<string> arguments, bool mesh = true)
    {
        var weft = WeftLauncher.Current().Command(mesh ? [.. arguments, "--state", fixture.Mesh.StatePath] : arguments);
        return CommandRun.RunAsync(CommandRun.Which(weft.FileName), weft.Arguments);
    }
}
