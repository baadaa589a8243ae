using System.Diagnostics;
using System.Text;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// Runs one of the host's network tools (<c>ip</c>, mostly) as a child process with an argument list (never a shell),
/// optional input, and a time limit, and returns what it printed. The network-namespace mode changes the host only
/// through these tools, so every change is one a person could type and undo.
/// </summary>
internal static class HostTool
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Succeeded => ExitCode == 0;
    }

    /// <summary>Whether <paramref name="program"/> is on PATH (or is an existing absolute path).</summary>
    public static bool Exists(string program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program);
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, program)));
    }

    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, string? input = null, CancellationToken ct = default)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Result(127, "", $"{program}: {e.Message}");
        }

        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), ct);
            process.StandardInput.Close();
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return new Result(124, await output, $"{program} did not finish within {Limit.TotalSeconds:0}s");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs the tool and throws <see cref="NetworkSetupException"/> with its error output when it fails.</summary>
    public static async Task<string> RunOrThrowAsync(string program, IReadOnlyList<string> arguments, string? input = null, CancellationToken ct = default)
    {
        var result = await RunAsync(program, arguments, input, ct);
        if (!result.Succeeded)
        {
            var command = new StringBuilder(program).Append(' ').AppendJoin(' ', arguments);
            if (input is not null)
            {
                command.Append(" <<< ").Append(input.ReplaceLineEndings("; ").TrimEnd(' ', ';'));
            }

            throw new NetworkSetupException($"{command}: {result.Error.Trim()} (exit code {result.ExitCode})");
        }

        return result.Output;
    }
}
