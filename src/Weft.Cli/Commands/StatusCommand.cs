using System.CommandLine;
using Weft.Cli.Local;

namespace Weft.Cli.Commands;

/// <summary><c>weft status</c>: the running local mesh's Services and pods, from its state file.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = "The state file of the mesh (default: the only running one)" };
        var dir = new Option<string?>("--dir") { Description = "The manifests directory the mesh was started with" };
        var json = new Option<bool>("--json") { Description = "Print the state file as is" };
        var command = new Command("status", "Show the running local mesh: Services, pods, readiness") { state, dir, json };
        command.SetAction(result =>
        {
            var (found, error) = StateFile.Find(result.GetValue(state), result.GetValue(dir));
            if (found is null)
            {
                Console.Error.WriteLine($"weft status: {error}");
                return 1;
            }

            if (result.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(found, StateFile.Json));
                return 0;
            }

            Console.WriteLine($"local mesh of {found.ManifestDirectory} (pid {found.Pid}), control plane {found.ControlPlane}, addresses {found.AddressBlock}, {(found.Ready ? "ready" : "NOT ready")}");
            Console.WriteLine();
            Console.Write(UpCommand.Table(found));
            return found.Ready ? 0 : 1;
        });
        return command;
    }
}
