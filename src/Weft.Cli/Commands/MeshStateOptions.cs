using System.CommandLine;
using Weft.Cli.Local;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>--state FILE</c> and <c>--dir DIR</c>: which running local mesh (<c>weft up</c>) a command works with, by its state
/// file or the manifests directory it runs; neither given, the only one running. <c>weft curl</c>, <c>exec</c>,
/// <c>explain</c>, and through <see cref="ControlPlaneAccessOptions"/> <c>status</c>, <c>stat</c>, <c>tap</c>, <c>top</c>
/// and <c>dashboard</c> take them; <see cref="StateFile.Find"/> reads them, with the same errors for all.
/// </summary>
internal sealed class MeshStateOptions
{
    private readonly Option<string?> _state = new("--state") { Description = "The state file of the mesh (default: the only running one)" };
    private readonly Option<string?> _dir = new("--dir") { Description = "The manifests directory the mesh was started with" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_state);
        command.Options.Add(_dir);
    }

    /// <summary>The state file given, if any.</summary>
    public string? State(ParseResult result) => result.GetValue(_state);

    /// <summary>The manifests directory given, if any.</summary>
    public string? Dir(ParseResult result) => result.GetValue(_dir);

    /// <summary>The running mesh they name, or the only one running; null with the reason when there is none to use.</summary>
    public (MeshState? State, string? Error) Find(ParseResult result) => StateFile.Find(State(result), Dir(result));
}
