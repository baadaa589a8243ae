using System.Diagnostics;

namespace Weft.KubeApi.StandIn.Tests.Infrastructure;

/// <summary>
/// Every kubectl on this machine: Debian's, unpacked by scripts/debian-kubectl.sh into /opt/weft-tools, and the one on
/// PATH when it is a different file.
/// </summary>
internal static class Kubectls
{
    public const string DebianKubectl = "/opt/weft-tools/kubernetes-client/usr/bin/kubectl";

    public static IReadOnlyList<string> All { get; } = Find();

    private static List<string> Find()
    {
        var found = new List<string>();
        if (File.Exists(DebianKubectl))
        {
            found.Add(DebianKubectl);
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate))
            {
                var real = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
                if (!found.Contains(real) && !found.Contains(candidate))
                {
                    found.Add(candidate);
                }

                break;
            }
        }

        return found;
    }

    /// <summary>The client's minor version (20 for Debian's 1.20).</summary>
    public static int MinorVersion(string kubectl)
    {
        var result = Run(kubectl, null, ["version", "--client", "-o", "json"], TimeSpan.FromSeconds(30));
        var minor = System.Text.Json.JsonDocument.Parse(result.Output).RootElement.GetProperty("clientVersion").GetProperty("minor").GetString()!;
        return int.Parse(new string([.. minor.TakeWhile(char.IsAsciiDigit)]));
    }

    public static CommandResult Run(string kubectl, string? kubeconfig, IReadOnlyList<string> args, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (kubeconfig is not null)
        {
            start.Environment["KUBECONFIG"] = kubeconfig;
        }

        start.Environment["HOME"] = Path.GetDirectoryName(kubeconfig) ?? Path.GetTempPath();
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{kubectl} {string.Join(' ', args)} did not finish");
        }

        return new CommandResult(process.ExitCode, output.Result, error.Result);
    }
}

internal sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public CommandResult Succeeded(string what)
    {
        Assert.True(ExitCode == 0, $"{what} failed ({ExitCode}): {Error}{Output}");
        return this;
    }
}

/// <summary>A test that runs kubectl: skipped, saying why, only when there is no kubectl at all.</summary>
internal sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectls.All.Count == 0)
        {
            Skip = "no kubectl: neither Debian's (scripts/debian-kubectl.sh, needs root and apt) nor one on PATH";
        }
    }
}
