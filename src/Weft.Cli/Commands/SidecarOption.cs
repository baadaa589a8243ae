using System.CommandLine;
using Weft.Cli.Local;

namespace Weft.Cli.Commands;

/// <summary><c>--sidecar auto|aot|jit</c>, as <c>weft up</c> and <c>weft conformance</c> take it (<see cref="SidecarChoice"/>).</summary>
internal static class SidecarOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--sidecar")
        {
            Description = "The program sidecars run as: aot (the Native AOT weft-proxy: beside weft, or in a source tree as ./weft builds it; "
                + $"{SidecarChoice.OverrideVariable} names another), jit (weft proxy), or auto (aot when there is one, else jit, saying why)",
            DefaultValueFactory = _ => SidecarChoice.Auto,
        };
        option.AcceptOnlyFromAmong(SidecarChoice.Auto, SidecarChoice.Aot, SidecarChoice.Jit);
        return option;
    }

    /// <summary>
    /// The launcher whose sidecars run the program <paramref name="option"/> chose, and the line saying which and why;
    /// no launcher (the reason written to standard error after <paramref name="command"/>) when it cannot be had.
    /// </summary>
    public static async Task<(WeftLauncher? Weft, string Line)> ChooseAsync(ParseResult result, Option<string> option, string command)
    {
        var (program, line) = SidecarChoice.Decide(result.GetValue(option)!);
        if (program is null)
        {
            await Console.Error.WriteLineAsync($"{command}: {line}");
            return (null, line);
        }

        return (WeftLauncher.Current() with { Sidecar = program }, line);
    }
}
