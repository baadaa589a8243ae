using System.CommandLine;
using System.Reflection;

namespace Weft.Cli.Commands;

/// <summary><c>weft version</c>: the version of this build.</summary>
internal static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the version of weft");
        command.SetAction(_ =>
        {
            Console.WriteLine($"weft {Version}");
            return 0;
        });
        return command;
    }
}
