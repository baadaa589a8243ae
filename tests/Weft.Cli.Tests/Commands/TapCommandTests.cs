using System.Globalization;
using System.Net;
using Grpc.Core;
using Weft.Cli.Client;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;
using Weft.Echo.Protocol;
using Weft.Tests.Shared;

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
    public async Task Weft_tap_shows_the_grpc_status_each_call_was_answered_with_on_both_sidecars()
    {
        // Echo answers OK in trailers; ForwardEcho, UNIMPLEMENTED from the app as a trailers-only answer. Both cross the
        // client's sidecar, mTLS and rpc's sidecar, and each sidecar's tap reads the status its client was sent.
        var server = WeftAsync(["tap", "deploy/rpc", "-n", "tapns", "--path", "/proto.EchoTestService/", "--max", "4"]);
        var client = WeftAsync(["tap", "deploy/client", "-n", "tapns", "--path", "/proto.EchoTestService/", "--max", "4"]);
        using var grpc = new MeshGrpcClient(new IPEndPoint(fixture.Pod("client").IP, SidecarPorts.Default.Outbound));
        var call = new MeshRequest { Url = new Uri($"grpc://{fixture.ClusterIP("rpc")}:7070") };
        var echo = new EchoTestService.EchoTestServiceClient(grpc.Channel(call));
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!server.IsCompleted || !client.IsCompleted)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the taps did not end within 30 s of calls");
            var ok = await grpc.CallAsync(call, CancellationToken.None, "hello");
            Assert.True(ok.Status == 0, $"{ok.Status} {ok.Detail}");
            var refused = await Assert.ThrowsAsync<RpcException>(() => echo.ForwardEchoAsync(new ForwardEchoRequest(), deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10)).ResponseAsync);
            Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
        }

        foreach (var (run, direction) in new[] { (await server, "inbound"), (await client, "outbound") })
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length);
            Assert.All(lines, line => Assert.Contains($" {direction} POST ", line, StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains("/proto.EchoTestService/Echo :status=200 grpc-status=0 ", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains("/proto.EchoTestService/ForwardEcho :status=200 grpc-status=12 ", StringComparison.Ordinal));
        }
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
    public async Task Weft_stat_shows_the_calls_from_client_to_web_on_the_server_and_the_client_side()
    {
        // 20 requests (each with one to /other), then the window of both ends: web's sidecar served them, client's sent them.
        await fixture.SendAsync(20, "/stat");

        var server = await WeftAsync(["stat", "deploy/web", "-n", "tapns", "--from", "deploy/client"]);
        var client = await WeftAsync(["stat", "svc/web", "-n", "tapns", "--window", "1m"]);

        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.StartsWith("DEPLOYMENT ", server.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("SERVICE ", client.Stdout, StringComparison.Ordinal);
        foreach (var (stdout, name) in new[] { (server.Stdout, "deploy/web"), (client.Stdout, "svc/web") })
        {
            var columns = Row(stdout, name);
            Assert.Equal("100.00%", columns[1]);
            Assert.EndsWith("rps", columns[2], StringComparison.Ordinal);
            Assert.All(columns[3..6], latency => Assert.EndsWith("ms", latency, StringComparison.Ordinal));
            Assert.True(long.Parse(columns[6], CultureInfo.InvariantCulture) >= 40, stdout); // this test's 40, and maybe earlier tests'
        }
    }

    [Fact]
    public async Task Weft_stat_of_a_caller_that_sent_nothing_is_a_row_of_dashes_and_a_bad_target_is_refused()
    {
        var none = await WeftAsync(["stat", "deploy/web", "-n", "tapns", "--from", "deploy/web"]);
        var bad = await WeftAsync(["stat", "pods", "-n", "tapns"]);

        Assert.True(none.ExitCode == 0, none.Stderr);
        Assert.Equal(["deploy/web", "-", "-", "-", "-", "-", "0"], Row(none.Stdout, "deploy/web"));
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("weft stat: cannot stat 'pods'", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weft_stat_shows_a_workload_and_a_TCPRoute_with_only_TCP_traffic_by_its_connections_and_bytes()
    {
        // 20 connections from the client pod to db's Service (its TCPRoute db), each a line echoed and closed, and one
        // left open while weft stat runs: db serves no HTTP, so only its L4 series can make its rows.
        for (var i = 0; i < 20; i++)
        {
            await using var connection = await fixture.Mesh.DialerFor(fixture.Pod("client")).ConnectAsync(fixture.ClusterIP("db"), 9000, CancellationToken.None);
            await EchoLineAsync(connection);
        }

        await using var open = await fixture.Mesh.DialerFor(fixture.Pod("client")).ConnectAsync(fixture.ClusterIP("db"), 9000, CancellationToken.None);
        await EchoLineAsync(open);

        foreach (var (arguments, name) in new[] { (new[] { "stat", "deploy", "-n", "tapns" }, "deploy/db"), (["stat", "routes", "-n", "tapns"], "tcproute/db") })
        {
            // The sidecars count a connection's bytes just after copying them: read until both ends' counts are in.
            var run = await Eventually.ValueAsync(() => WeftAsync(arguments), r => r.ExitCode == 0 && Counted(r.Stdout, name), $"weft {string.Join(' ', arguments)} shows {name}'s 21 connections", TimeSpan.FromSeconds(60));
            Assert.Contains(" TCP_CONN TCP_OPENED READ_BYTES/SEC WRITE_BYTES/SEC\n", run.Stdout, StringComparison.Ordinal);
            var columns = Row(run.Stdout, name);
            Assert.Equal(["-", "-", "-", "-", "-", "0"], columns[1..7]); // no requests: the HTTP columns are dashes
            Assert.True(long.Parse(columns[7], CultureInfo.InvariantCulture) >= 1, run.Stdout); // the one still open
            Assert.All(columns[9..11], rate => Assert.Matches(@"^[0-9.]+k?B/s$", rate));
        }

        static bool Counted(string stdout, string name)
        {
            var row = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return row is { Length: 11 } && long.TryParse(row[8], CultureInfo.InvariantCulture, out var opened) && opened >= 21 && row[9] != "0.0B/s" && row[10] != "0.0B/s";
        }
    }

    /// <summary>Writes a line to db's TCP echo and reads until its answer (which names the pod) has come back.</summary>
    private static async Task EchoLineAsync(Stream connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await connection.WriteAsync("ping\n"u8.ToArray(), timeout.Token);
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains("Hostname=", StringComparison.Ordinal))
        {
            var n = await connection.ReadAsync(buffer, timeout.Token);
            Assert.True(n > 0, $"db closed without its echo; read '{text}'");
            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }
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
        var web = fixture.Web();
        using var http = fixture.Client();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!done.IsCompleted)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the command did not end within 30 s of traffic");
            using var other = await http.GetAsync(new Uri($"http://{web}/other"));
            using var response = await http.GetAsync(new Uri($"http://{web}{path}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>The columns of <paramref name="name"/>'s row in a <c>weft stat</c> table.</summary>
    internal static string[] Row(string stdout, string name)
    {
        var row = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.True(row is not null, stdout);
        return row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private Task<CommandRun> WeftAsync(IReadOnlyList<string> arguments, bool mesh = true)
    {
        var weft = WeftLauncher.Current().Command(mesh ? [.. arguments, "--state", fixture.Mesh.StatePath] : arguments);
        return CommandRun.RunAsync(CommandRun.Which(weft.FileName), weft.Arguments);
    }
}
