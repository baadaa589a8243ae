using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Weft.Tests.Shared;

namespace Weft.Cli.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by <c>./test.sh</c> through scripts/chromium.sh) run headless
/// and driven over the Chrome DevTools protocol: one page, navigated and queried with JavaScript. Every host name but
/// the loopback's resolves to nothing and background networking is off, so the browser reaches nothing beyond
/// 127.0.0.0/8. The profile is a temporary directory, removed with the process.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _page = new();
    private int _id;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: ./test.sh installs Debian's chromium (scripts/chromium.sh), or apt-get install chromium");
        var profile = Directory.CreateTempSubdirectory("weft-chromium-").FullName;
        var info = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--disable-features=OptimizationHints,MediaRouter,Translate", "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            $"--user-data-dir={profile}", "about:blank",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var browser = new HeadlessChromium(process, profile);
        try
        {
            // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr gives the port it took.
            using var deadline = new CancellationTokenSource(StartDeadline);
            string? endpoint = null;
            while (endpoint is null)
            {
                var line = await process.StandardError.ReadLineAsync(deadline.Token)
                    ?? throw new InvalidOperationException($"chromium exited ({(process.HasExited ? process.ExitCode : -1)}) before listening");
                const string marker = "DevTools listening on ";
                if (line.StartsWith(marker, StringComparison.Ordinal))
                {
                    endpoint = line[marker.Length..].Trim();
                }
            }

            _ = process.StandardError.ReadToEndAsync(CancellationToken.None); // keep draining: a full pipe would stall chromium
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var port = new Uri(endpoint).Port;
            using var http = new HttpClient();
            var targets = await Eventually.ValueAsync(
                async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray(),
                list => list.Any(t => t?["type"]?.GetValue<string>() == "page"), "chromium's page target", StartDeadline);
            var page = targets.First(t => t?["type"]?.GetValue<string>() == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
            await browser._page.ConnectAsync(new Uri(page), deadline.Token);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public Task NavigateAsync(Uri url) => CallAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() });

    /// <summary>A PNG of the page as the browser renders it now.</summary>
    public async Task<byte[]> ScreenshotAsync() =>
        Convert.FromBase64String((await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }))!["data"]!.GetValue<string>());

    /// <summary>The value of a JavaScript expression in the page (awaited when it is a promise); null for undefined.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result?["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        }

        return result?["result"]?["value"]?.DeepClone();
    }

    /// <summary>The expression's value as a string, or null when it is null or undefined.</summary>
    public async Task<string?> TextAsync(string expression) => (await EvaluateAsync(expression))?.ToString();

    private async Task<JsonNode?> CallAsync(string method, JsonObject parameters)
    {
        var id = ++_id;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();
        using var deadline = new CancellationTokenSource(CallDeadline);
        await _page.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(message)), WebSocketMessageType.Text, endOfMessage: true, deadline.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _page.ReceiveAsync(new ArraySegment<byte>(buffer), deadline.Token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException("chromium closed the DevTools connection");
                }

                received.Write(buffer, 0, part.Count);
            }
            while (!part.EndOfMessage);

            var reply = JsonNode.Parse(received.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id)
            {
                continue; // an event, or the answer to an earlier call
            }

            return reply["error"] is { } error ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}") : reply["result"];
        }
    }

    public async ValueTask DisposeAsync()
    {
        _page.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
