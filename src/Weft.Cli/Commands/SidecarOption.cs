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
}
