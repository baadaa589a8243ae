using System.Diagnostics;
using System.Text;
using Weft.Cli.Local;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// <c>weft up examples/canary</c> as a user runs it (a separate weft process), then <c>weft curl</c> through the client's
/// sidecar: the canary header always reaches cart-v2, and Ctrl-C (SIGTERM) leaves no process behind.
/// </summary>
public sealed class CanaryExampleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-canary-").FullName;
    private readonly List<Process> _processes = [];

    private string ReadyFile => Path.Combine(_work, "ready.json");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Up_then_curl_routes_the_canary_header_to_v2_and_stopping_leaves_nothing_behind()
    {
        var manifests = Path.Combine(_work, "canary");
        Directory.CreateDirectory(manifests);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SharedFiles.Repository, "examples", "canary"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(manifests, Path.GetFileName(file)));
        }

        var up = Start(["up", manifests, "--ready-file", ReadyFile], out var upOutput);
        await WaitAsync(() => File.Exists(ReadyFile) || up.HasExited, TimeSpan.FromSeconds(120), () => upOutput.ToString());
        Assert.False(up.HasExited, upOutput.ToString());
        var state = StateFile.TryRead(ReadyFile);
        Assert.NotNull(state);
        Assert.True(state.Ready);
        Assert.Equal(3, state.Pods.Count);
        var children = state.Pods.Count * 2;

        for (var i = 0; i < 5; i++)
        {
            var (code, body) = await RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-H", "x-canary: true"]);
            Assert.True(code == 0, body);
            Assert.Contains("Hostname=cart-v2-", body, StringComparison.Ordinal);
            Assert.Contains("RequestHeader=X-Canary:true", body, StringComparison.OrdinalIgnoreCase);
        }

        var (splitCode, split) = await RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "--count", "200"]);
        Assert.True(splitCode == 0, split);
        Assert.Contains("200 ×200", split, StringComparison.Ordinal);
        Assert.Contains("cart-v1-", split, StringComparison.Ordinal);

        var (headCode, head) = await RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-i"]);
        Assert.True(headCode == 0, head);
        // (Line endings are lost in the captured output: weft curl -i writes CRLF, as curl does.)
        Assert.StartsWith("HTTP/1.1 200 OK" + Environment.NewLine, head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain", head, StringComparison.OrdinalIgnoreCase);

        // weft status: the route's status as Weft writes it, and the client sidecar's subscription, acknowledged.
        var (statusCode, status) = await RunAsync(["status", "--state", ReadyFile]);
        Assert.True(statusCode == 0, status);
        Assert.Contains("HTTPRoute shop/cart-canary", status, StringComparison.Ordinal);
        Assert.Contains("Accepted         True    Accepted", status, StringComparison.Ordinal);
        Assert.Matches(@"shop/client-\S+ +cart:80 +Found +(\d+) +\1 ", status);

        // Stop as Ctrl-C would: every sidecar and app must go with it.
        var childIds = ChildIds(up.Id);
        Assert.Equal(children, childIds.Count);
        _ = Kill(up.Id, 15);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await up.WaitForExitAsync(stop.Token);
        await WaitAsync(() => childIds.All(Gone), TimeSpan.FromSeconds(10), () => "children still running: " + string.Join(", ", childIds.Where(id => !Gone(id))));
        Assert.False(File.Exists(ReadyFile));
    }

    private Process Start(IReadOnlyList<string> args, out StringBuilder captured)
    {
        var weft = WeftLauncher.Current();
        var info = new ProcessStartInfo(weft.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in weft.PrefixArguments.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        _processes.Add(process);
        var text = new StringBuilder();
        captured = text;
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (text)
            {
                text.AppendLine(e.Data);
            }

            try
            {
                output.WriteLine(e.Data);
            }
            catch (InvalidOperationException)
            {
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<(int Code, string Output)> RunAsync(IReadOnlyList<string> args)
    {
        var process = Start(args, out var text);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        lock (text)
        {
            return (process.ExitCode, text.ToString());
        }
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"timed out after {timeout.TotalSeconds:0}s: {describe()}");
            await Task.Delay(100);
        }
    }

    private static List<int> ChildIds(int parent) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, out _))
            .Select(int.Parse!)
            .Where(pid => ParentOf(pid) == parent)];

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool Gone(int pid) => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
