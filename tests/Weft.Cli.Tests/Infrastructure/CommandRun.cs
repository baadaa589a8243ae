using System.Diagnostics;

namespace Weft.Cli.Tests.Infrastructure;

/// <summary>One finished child process of a test: its exit code and output. Started directly, never through a shell.</summary>
internal sealed record CommandRun(int ExitCode, string Stdout, string Stderr)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task<CommandRun> RunAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Which(file)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {Deadline}");
        }

        return new CommandRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and fails the test unless the exit code is 0.</summary>
    public static async Task<CommandRun> RunCheckedAsync(string file, params string[] arguments)
    {
        var run = await RunAsync(file, arguments);
        Assert.True(run.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: exit {run.ExitCode}: {run.Stderr}");
        return run;
    }

    /// <summary>
    /// The absolute path of a program on this test's PATH: a child given another PATH (to hide iptables) must still find
    /// <c>ip</c>, <c>setpriv</c> and <c>dotnet</c>.
    /// </summary>
    public static string Which(string name) =>
        HostProgram.Which(name) ?? throw new FileNotFoundException($"{name} is not on PATH");
}
