using System.Diagnostics;
using System.Text;
using Weft.Cli.Local;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// The weft processes a test starts (as a user would, <c>weft up</c>, <c>weft curl</c> …), their output captured and
/// echoed to the test log, and every one killed with its children when the test ends. Linked into the test projects that
/// run weft as a child process.
/// </summary>
internal sealed class WeftChildren(ITestOutputHelper output) : IAsyncDisposable
{
    private const string ResetSignal = "/usr/bin/env"; // GNU coreutils' env, which takes --default-signal
    private readonly List<Process> _processes = [];

    public Process Start(IReadOnlyList<string> args, out StringBuilder captured, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var weft = WeftLauncher.Current();

        // As a user's shell starts it, with SIGINT's default action (Ctrl-C stops weft up): a suite started in the
        // background (`./test.sh &`, or any CI step without job control) has SIGINT ignored, a child inherits that, and
        // .NET then installs no handler, so a test's Ctrl-C would do nothing. env execs weft in its place (same pid).
        var info = new ProcessStartInfo(File.Exists(ResetSignal) ? ResetSignal : weft.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (File.Exists(ResetSignal))
        {
            info.ArgumentList.Add("--default-signal=INT");
            info.ArgumentList.Add(weft.FileName);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        foreach (var arg in weft.PrefixArguments.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        lock (_processes)
        {
            _processes.Add(process);
        }

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
                // The test has finished: its log is closed.
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs weft to its end (at most a minute): its exit code and everything it printed.</summary>
    public async Task<(int Code, string Output)> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = Start(args, out var text, environment);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        lock (text)
        {
            return (process.ExitCode, text.ToString());
        }
    }

    /// <summary>
    /// <c>weft up DIR</c> as a user starts it, waited for (two minutes at most) until it writes its ready file: the
    /// process, its output and the state it wrote.
    /// </summary>
    public async Task<(Process Up, StringBuilder Output, MeshState State)> UpAsync(string manifests, string readyFile, string isolation, IReadOnlyList<string>? arguments = null)
    {
        var up = Start(["up", manifests, "--ready-file", readyFile, "--isolation", isolation, .. arguments ?? []], out var output);
        await WaitAsync(() => File.Exists(readyFile) || up.HasExited, TimeSpan.FromSeconds(120), () => output.ToString());
        Assert.False(up.HasExited, output.ToString());
        var state = StateFile.TryRead(readyFile);
        Assert.NotNull(state);
        return (up, output, state);
    }

    /// <summary><c>weft curl -i</c> from a pod of the mesh <paramref name="readyFile"/> describes: its exit code, and the response's status and body.</summary>
    public async Task<(int Code, int Status, string Body)> CurlAsync(string readyFile, string from, string method, string url)
    {
        var (code, text) = await RunAsync(["curl", "--state", readyFile, "--from", from, "-X", method, "-i", url]);
        var status = 0;
        if (text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && text.Length >= 12)
        {
            _ = int.TryParse(text.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out status);
        }

        var blank = text.IndexOf(Environment.NewLine + Environment.NewLine, StringComparison.Ordinal);
        return (code, status, blank < 0 ? text : text[(blank + (2 * Environment.NewLine.Length))..]);
    }

    /// <summary>Asserts that <see cref="CurlAsync"/> gets <paramref name="expected"/>, and a body with <paramref name="bodyHas"/>; returns the body.</summary>
    public async Task<string> ExpectAsync(string readyFile, string from, string method, string url, int expected, string? bodyHas = null)
    {
        var (code, status, body) = await CurlAsync(readyFile, from, method, url);
        Assert.True(code == 0 && status == expected, $"{from} {method} {url}: expected {expected}, got exit {code} status {status}: {body}");
        if (bodyHas is not null)
        {
            Assert.Contains(bodyHas, body, StringComparison.Ordinal);
        }

        return body;
    }

    /// <summary>Curls until the status is <paramref name="expected"/> (a change still reaching the sidecars), failing after <paramref name="within"/>; returns the body.</summary>
    public async Task<string> UntilStatusAsync(string readyFile, string from, string url, int expected, TimeSpan within)
    {
        var last = (Status: 0, Body: "");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            var (_, status, body) = await CurlAsync(readyFile, from, "GET", url);
            last = (status, body);
            if (status == expected)
            {
                return body;
            }
        }

        Assert.Fail($"{from} GET {url}: still {last.Status}, not {expected}, after {within.TotalSeconds} s: {last.Body}");
        return "";
    }

    /// <summary>Waits for a condition with a deadline, failing with what <paramref name="describe"/> says.</summary>
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"timed out after {timeout.TotalSeconds:0}s: {describe()}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Stops every process still running as a user's Ctrl-C or a service manager would (SIGTERM), so that <c>weft up</c>
    /// removes its pods, network namespaces and links; one not gone within 30 s is killed with its children. (Killed
    /// outright, a run left its namespaces for the next run's sweep: a machine always held the last test's.)
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                _ = Signal(process.Id, SigTerm);
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await process.WaitForExitAsync(stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }

            process.Dispose();
        }
    }

    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/> (kill(2)); 0 when sent.</summary>
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    public static extern int Signal(int pid, int signal);
}
