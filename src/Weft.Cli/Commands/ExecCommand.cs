using System.CommandLine;
using System.Diagnostics;
using Weft.Cli.Local;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft exec NS/DEPLOYMENT -- COMMAND [ARG...]</c>: runs a command as if inside a pod of that Deployment, as
/// <c>kubectl exec</c> does: with the pod's environment (its first app container's), and in network namespaces inside the
/// pod's namespace with an app's privileges (<see cref="Local.Netns.PodProcess"/>: its address, its resolv.conf, its capture rules). In process isolation the command gets the pod's proxy settings instead. Standard input and output are the
/// terminal's; the exit code is the command's.
/// </summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("NAMESPACE/DEPLOYMENT") { Description = "The pod's Deployment (a ready pod of it is picked)" };
        var words = new Argument<string[]>("COMMAND") { Description = "The command and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        var meshState = new MeshStateOptions();
        var command = new Command("exec", "Run a command inside a pod of a Deployment (its network and environment)") { target, words };
        meshState.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var (mesh, error) = meshState.Find(result);
            if (mesh is null)
            {
                await Console.Error.WriteLineAsync($"weft exec: {error}");
                return 2;
            }

            var pod = CurlCommand.PickPod(mesh, result.GetValue(target)!, out error);
            if (pod is null)
            {
                await Console.Error.WriteLineAsync($"weft exec: {error}");
                return 2;
            }

            if (PodEntry.Problem(mesh, pod) is { } problem)
            {
                await Console.Error.WriteLineAsync($"weft exec: {problem}");
                return 2;
            }

            return await RunAsync(StartInfo(mesh, pod, result.GetValue(words)!), ct);
        });
        return command;
    }

    /// <summary>How to start <paramref name="words"/> in <paramref name="pod"/>: in its network namespace when it has one.</summary>
    public static ProcessStartInfo StartInfo(MeshState mesh, PodState pod, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(words);
        var command = PodEntry.Command(mesh, pod, new ContainerCommand(words[0], [.. words.Skip(1)]));

        var info = new ProcessStartInfo(command.FileName) { UseShellExecute = false };
        foreach (var word in command.Arguments)
        {
            info.ArgumentList.Add(word);
        }

        foreach (var (name, value) in pod.Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static async Task<int> RunAsync(ProcessStartInfo info, CancellationToken ct)
    {
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await Console.Error.WriteLineAsync($"weft exec: cannot run {info.FileName}: {e.Message}");
            return 127;
        }

        // Ctrl-C reaches the command from the terminal as well; a SIGTERM to weft is passed on.
        using var forward = ct.Register(() => ChildProcess.Terminate(process.Id));
        await process.WaitForExitAsync(CancellationToken.None);
        return process.ExitCode;
    }
}
