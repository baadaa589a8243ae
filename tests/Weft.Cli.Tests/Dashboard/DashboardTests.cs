using System.Diagnostics;
using System.Net;
using Weft.Cli.Dashboard;
using Weft.Cli.Local;
using Weft.Cli.Tests.Commands;
using Weft.Cli.Tests.Infrastructure;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Dashboard;

/// <summary>
/// <c>weft dashboard</c> (issue 16) in a real headless Chromium against a running local mesh with traffic: the graph
/// shows the edge the traffic made with the numbers <c>weft stat</c> prints, the status pane shows what
/// <c>weft status</c> prints, and a click on a workload taps it live. And what the dashboard's port refuses.
/// </summary>
public sealed class DashboardTests(TapMeshFixture fixture) : IClassFixture<TapMeshFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_page_shows_the_edge_the_traffic_made_with_weft_stats_numbers_the_status_and_a_live_tap()
    {
        await fixture.SendAsync(20, "/dash");
        await using var dashboard = await DashboardProcess.StartAsync(fixture.Mesh.StatePath);
        await using var chromium = await HeadlessChromium.StartAsync();
        await chromium.NavigateAsync(dashboard.Url);

        const string Edge = "document.querySelector('g.edge[data-from=\"tapns/client\"][data-to=\"tapns/web\"]')";
        try
        {
            await Eventually.ValueAsync(() => chromium.TextAsync($"{Edge}?.dataset.requests"), r => r is not null, "the client→web edge on the page", Deadline);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What the page said instead: its last error or update, and the edges it drew.
            var page = await chromium.TextAsync("document.location.href + ' | ' + document.getElementById('updated')?.textContent + ' | ' + [...document.querySelectorAll('g.edge')].map(g => g.dataset.from + '->' + g.dataset.to).join(',')");
            throw new Xunit.Sdk.XunitException($"{e.Message}; the page: {page}");
        }

        // The same window, read by weft stat: the page's edge (refreshed every 2 s) comes to the same count and success rate.
        var weft = WeftLauncher.Current().Command(["stat", "deploy/web", "-n", "tapns", "--from", "deploy/client", "--state", fixture.Mesh.StatePath]);
        var stat = await CommandRun.RunAsync(CommandRun.Which(weft.FileName), weft.Arguments);
        Assert.True(stat.ExitCode == 0, stat.Stdout + stat.Stderr);
        var columns = TapCommandTests.Row(stat.Stdout, "deploy/web");
        Assert.True(long.Parse(columns[6], System.Globalization.CultureInfo.InvariantCulture) >= 40, stat.Stdout);
        await Eventually.ValueAsync(() => chromium.TextAsync($"{Edge}.dataset.requests"), r => r == columns[6], $"the edge's count at weft stat's {columns[6]}", Deadline);
        Assert.Equal(columns[1], await chromium.TextAsync($"{Edge}.dataset.success"));
        Assert.Equal(columns[5], await chromium.TextAsync($"{Edge}.dataset.p99"));

        // Route status in weft status's words: its proxy table, with the client's subscription to web.
        var status = await Eventually.ValueAsync(() => chromium.TextAsync("document.getElementById('status').textContent"),
            t => t?.Contains(fixture.Pod("client").Key, StringComparison.Ordinal) == true, "the client's subscription in the status pane", Deadline);
        Assert.Contains("PROXY", status, StringComparison.Ordinal);
        Assert.Contains("model version", status, StringComparison.Ordinal);

        // A click on web taps it: requests sent now appear as rows.
        await chromium.EvaluateAsync("document.querySelector('g.node[data-id=\"tapns/web\"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))");
        var clock = Stopwatch.StartNew();
        while (await chromium.TextAsync("[...document.querySelectorAll('#tap tbody tr')].map(r => r.textContent).join('\\n')") is not { } rows
            || !rows.Contains("/dash-tapped", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < Deadline, "no tapped request on the page within 30 s");
            await fixture.SendAsync(1, "/dash-tapped");
        }

        // docs/dashboard.png is this page: WEFT_DASHBOARD_SCREENSHOT=PATH writes it.
        if (Environment.GetEnvironmentVariable("WEFT_DASHBOARD_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await File.WriteAllBytesAsync(screenshot, await chromium.ScreenshotAsync());
        }
    }

    [Fact]
    public async Task The_port_refuses_a_request_without_the_printed_key_and_one_naming_another_host()
    {
        // No control plane behind it: these requests are refused before one would be called.
        await using var server = await DashboardServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new ControlPlaneAdmin.Access(new Uri("https://127.0.0.1:1"), null, null, null), CancellationToken.None);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        var page = new Uri(server.Url.GetLeftPart(UriPartial.Authority) + "/");

        using var bare = await http.GetAsync(page);
        using var wrongKey = await http.GetAsync(new Uri(page, "/?token=0123"));
        using var api = await http.GetAsync(new Uri(page, "/api/stat"));
        using var rebound = new HttpRequestMessage(HttpMethod.Get, server.Url);
        rebound.Headers.Host = "attacker.example";
        using var foreign = await http.SendAsync(rebound);
        using var key = await http.GetAsync(server.Url);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (bare.StatusCode, wrongKey.StatusCode, api.StatusCode));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, key.StatusCode);
        var cookie = Assert.Single(key.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var withCookie = new HttpRequestMessage(HttpMethod.Get, new Uri(page, "/app.js"));
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var script = await http.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("default-src 'self'", script.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    /// <summary>A <c>weft dashboard --port 0</c> child process and the URL it printed; killed when disposed.</summary>
    private sealed class DashboardProcess(Process process, Uri url) : IAsyncDisposable
    {
        public Uri Url { get; } = url;

        public static async Task<DashboardProcess> StartAsync(string statePath)
        {
            var weft = WeftLauncher.Current().Command(["dashboard", "--port", "0", "--state", statePath]);
            var info = new ProcessStartInfo(CommandRun.Which(weft.FileName)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in weft.Arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(Deadline);
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token);
            if (line is null || !line.StartsWith("dashboard: ", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"weft dashboard printed no URL: {line} {await stderr}");
            }

            _ = process.StandardOutput.ReadToEndAsync();
            return new DashboardProcess(process, new Uri(line["dashboard: ".Length..].Split(' ')[0]));
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }
}
