using System.Diagnostics;
using System.Text;

namespace Weft.Cli;

/// <summary>
/// Runs one of the host's programs (<c>ip</c>, <c>iptables-restore</c>, …) as a child process with an argument list
/// (never a shell), optional input and environment, and a time limit, and returns how it ended. The local mode and
/// <c>weft init</c> change the host only through such programs, so every change is one a person could type and undo.
/// </summary>
internal static class HostProgram
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);

    /// <summary>How a run ended: <see cref="NotStarted"/> (no such program) and <see cref="TimedOut"/> (killed) say why it has no exit code of its own.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, bool NotStarted = false, bool TimedOut = false)
    {
        public bool Succeeded => ExitCode == 0 && !NotStarted && !TimedOut;
    }

    /// <summary>Whether <paramref name="program"/> is an executable on PATH (or an executable absolute path).</summary>
    public static bool Exists(string program) => Which(program) is not null;

    /// <summary>
    /// The path of the executable <paramref name="program"/> names: itself when absolute, else the first on
    /// <paramref name="searchPath"/> (default this process's PATH); null when there is none.
    /// </summary>
    public static string? Which(string program, string? searchPath = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (Path.IsPathRooted(program))
        {
            return IsExecutable(program) ? program : null;
        }

        return (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, string? input = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null, CancellationToken ct = default)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Result(127, "", $"cannot run {program}: {e.Message}", NotStarted: true);
        }

        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), ct);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It exited without reading its input; its exit code and error output say why.
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(limit ?? DefaultLimit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return new Result(124, await output, $"{Path.GetFileName(program)} did not finish within {(limit ?? DefaultLimit).TotalSeconds:0} s", TimedOut: true);
        }

        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs the program and throws <see cref="Local.Netns.NetworkSetupException"/> with its error output when it fails.</summary>
    public static async Task<string> RunOrThrowAsync(string program, IReadOnlyList<string> arguments, string? input = null, CancellationToken ct = default)
    {
        var result = await RunAsync(program, arguments, input, ct: ct);
        if (!result.Succeeded)
        {
            var command = new StringBuilder(program).Append(' ').AppendJoin(' ', arguments);
            if (input is not null)
            {
                command.Append(" <<< ").Append(input.ReplaceLineEndings("; ").TrimEnd(' ', ';'));
            }

            throw new Local.Netns.NetworkSetupException($"{command}: {result.Stderr.Trim()} (exit code {result.ExitCode})");
        }

        return result.Stdout;
    }
}
