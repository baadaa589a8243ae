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
    private readonly List<Process> _processes = [];

    public Process Start(IReadOnlyList<string> args, out StringBuilder captured, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var weft = WeftLauncher.Current();
        var info = new ProcessStartInfo(weft.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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

    public async ValueTask DisposeAsync()
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
    }
}
