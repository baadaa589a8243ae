using System.Diagnostics;

namespace Weft.Cli.Tests.Local.Dns;

/// <summary>Runs a host program (ip, getent) to its end within a deadline, killing it past the deadline.</summary>
internal static class HostCommand
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {Deadline.TotalSeconds} s");
        }
    }

    /// <summary>Its output; throws with its error output when it fails.</summary>
    public static async Task<string> CheckedAsync(string file, params string[] arguments)
    {
        var (exitCode, output, error) = await RunAsync(file, arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exitCode}: {error.Trim()}");
    }
}
